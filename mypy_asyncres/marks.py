"""The runtime side of the marks: plain Python, no mypy import.

`must_enter` does nothing at runtime; the plugin reads where it is applied.
"""

from __future__ import annotations

from typing import TypeVar

_T = TypeVar("_T")


def must_enter(obj: _T) -> _T:
    """Mark a class or a factory function: what it produces must be entered.

    On a class (a sync or async context manager), every creation of it or of a
    subclass must be an item of ``with`` / ``async with`` or be handed off in a
    checked way. On a function or method, every call of it is checked the same
    way. Stacks with ``@contextlib.contextmanager`` / ``@asynccontextmanager``.
    """
    return obj
