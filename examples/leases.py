"""Your own resources: mark them with @must_enter."""

from __future__ import annotations

from mypy_asyncres import must_enter


@must_enter
class Lease:
    """Holds a row lock until it is exited."""

    async def __aenter__(self) -> Lease:
        return self

    async def __aexit__(self, *exc: object) -> None: ...


class Store:
    @must_enter
    def lease(self, key: str) -> Lease:
        return Lease()


async def update(store: Store) -> None:
    store.lease("a")  # forgotten: the lock is never taken nor released
    async with store.lease("b") as lease:
        print(lease)
