"""The runtime side of the marks: plain Python, no mypy import.

`must_enter` does nothing at runtime; the plugin reads where it is applied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., object])


def must_enter(obj: _T) -> _T:
    """Mark a class or a factory function: what it produces must be entered.

    On a class (a sync or async context manager), every creation of it or of a
    subclass must be an item of ``with`` / ``async with`` or be handed off in a
    checked way. On a function or method, every call of it is checked the same
    way. Stacks with ``@contextlib.contextmanager`` / ``@asynccontextmanager``.
    """
    return obj


def owns(*parameters: str) -> Callable[[_F], _F]:
    """Declare parameters that take ownership of the resource passed to them.

    ``@owns("session")`` on a function, a method or ``__init__`` (for the class's
    constructor): a resource passed as ``session`` is released by the callee, so passing
    it there is a checked hand-off, not a leak.
    """

    def declare(func: _F) -> _F:
        return func

    return declare
