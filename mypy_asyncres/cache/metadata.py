"""What the plugin keeps in `TypeInfo.metadata`, the one place of its own that mypy's
cache keeps (a function's decorators, for one, are gone when it is loaded from the
cache): the schema, and the only code that reads or writes it.

    metadata["mypy_asyncres"] = {
        # Marks (facts/marked.py), on a class and on the methods it defines; a module's
        # functions keep theirs in a hidden class of the module (FUNCTION_MARKS_HOLDER):
        "must_enter": True,                       # the class is marked
        "functions": ["connect", ...],            # functions marked @must_enter
        "owns": {"function": ["param", ...]},     # @owns(...) on functions
        # Owner facts, read from the class body (facts/class_reading.py):
        "releases": ["_session", ...],            # fields its release methods release
        "borrows": ["session", ...],              # methods that lend a field
        "owns_inferred": {"method": ["param"]},   # parameters stored in released fields
        "owns_if": {"method": {"param": ["flag", default]}},  # ... released under a flag
                                                  # that the parameter `flag` sets
        "forwards": {"method": [Forward, ...]},   # parameters forwarded to owning ones
        "enters": {"method": ["param"]},          # context-manager parameters entered
        "opaque_release": True,                   # a release method whose body mypy dropped
    }
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from mypy.nodes import TypeInfo

if TYPE_CHECKING:
    from mypy_asyncres.facts.forwarding import Forward

KEY: Final = "mypy_asyncres"

MUST_ENTER: Final = "must_enter"
MARKED_FUNCTIONS: Final = "functions"
DECLARED_OWNING: Final = "owns"

RELEASES: Final = "releases"
BORROWS: Final = "borrows"
OWNS_INFERRED: Final = "owns_inferred"
OWNS_IF: Final = "owns_if"
FORWARDS: Final = "forwards"
ENTERS: Final = "enters"
OPAQUE_RELEASE: Final = "opaque_release"
CLASS_FACT_KEYS: Final = (RELEASES, BORROWS, OWNS_INFERRED, OWNS_IF, FORWARDS, ENTERS, OPAQUE_RELEASE)

_NOTHING: Mapping[str, Any] = {}


def read(info: TypeInfo) -> Mapping[str, Any]:
    """The plugin's entry of a class (empty if it has none); never creates one."""
    return info.metadata.get(KEY, _NOTHING)


def _writable(info: TypeInfo) -> dict[str, Any]:
    return info.metadata.setdefault(KEY, {})


# Marks.


def is_marked(info: TypeInfo) -> bool:
    return bool(read(info).get(MUST_ENTER))


def mark(info: TypeInfo) -> None:
    _writable(info)[MUST_ENTER] = True


def is_marked_function(info: TypeInfo, name: str) -> bool:
    return name in read(info).get(MARKED_FUNCTIONS, ())


def add_marked_function(info: TypeInfo, name: str) -> None:
    names: list[str] = _writable(info).setdefault(MARKED_FUNCTIONS, [])
    if name not in names:
        names.append(name)
        names.sort()


def declared_owning(info: TypeInfo, function: str) -> frozenset[str]:
    return frozenset(read(info).get(DECLARED_OWNING, {}).get(function, ()))


def set_declared_owning(info: TypeInfo, function: str, parameters: list[str]) -> None:
    _writable(info).setdefault(DECLARED_OWNING, {})[function] = sorted(parameters)


# Owner facts.


def releases(info: TypeInfo, field: str) -> bool:
    return field in read(info).get(RELEASES, ())


def has_releases(info: TypeInfo) -> bool:
    return bool(read(info).get(RELEASES))


def opaque_release(info: TypeInfo) -> bool:
    return bool(read(info).get(OPAQUE_RELEASE))


def borrows(info: TypeInfo, method: str) -> bool:
    return method in read(info).get(BORROWS, ())


def inferred_owning(info: TypeInfo, method: str) -> frozenset[str]:
    return frozenset(read(info).get(OWNS_INFERRED, {}).get(method, ()))


def owned_if(info: TypeInfo, method: str) -> Mapping[str, tuple[str, bool]]:
    """param -> (the flag parameter, whether the flag is on by default)."""
    found = read(info).get(OWNS_IF, {}).get(method, _NOTHING)
    return {param: (flag, bool(default)) for param, (flag, default) in found.items()}


def forwards(info: TypeInfo, method: str) -> list[Forward]:
    """The method's forwarded parameters (JSON lists when they come from the cache)."""
    found = read(info).get(FORWARDS, {}).get(method, ())
    return [(p, callee, argument, tuple(kept)) for p, callee, argument, kept in found]


def enters(info: TypeInfo, method: str) -> list[str]:
    return list(read(info).get(ENTERS, {}).get(method, ()))


def replace_class_facts(info: TypeInfo, facts: dict[str, Any]) -> bool:
    """Put a class's owner facts in place of those it had; whether it had or has any."""
    store = info.metadata.get(KEY)
    if store is None:
        if not facts:
            return False
        store = info.metadata[KEY] = {}
    had_facts = any(key in store for key in CLASS_FACT_KEYS)
    for key in CLASS_FACT_KEYS:
        store.pop(key, None)
    store.update(facts)
    return had_facts or bool(facts)
