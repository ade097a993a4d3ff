"""mypy_asyncres: resources that must be entered with `with` / `async with`.

This is the entry module mypy loads (``plugins = ["mypy_asyncres"]``). mypy
hashes this file and ``__version__`` to invalidate its caches, so the version
lives here. Importing the package at runtime does not import mypy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_asyncres.marks import must_enter as must_enter
    from mypy_asyncres.marks import owns as owns

__version__ = "0.1.0"
__all__ = ["__version__", "must_enter", "owns", "plugin"]


def __getattr__(name: str) -> Any:
    """The marks, imported on first use: mypy imports this module in every run to load
    the plugin, which needs neither (each module imported is a cost of every warm
    run)."""
    if name in ("must_enter", "owns"):
        from mypy_asyncres import marks

        return getattr(marks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# No mypy import here, not even under TYPE_CHECKING: users import `must_enter` from this
# module, and mypy would then analyse mypy's own sources in every user's project.
def plugin(version: str) -> type[Any]:
    """mypy's plugin entry point (returns a `mypy.plugin.Plugin` subclass); the mypy side
    is imported only here."""
    from mypy_asyncres.router import plugin_class

    return plugin_class(version)
