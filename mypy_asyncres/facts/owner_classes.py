"""Owner classes: which fields a class releases on its exit path, which methods lend a
field, and which parameters its methods keep, forward or enter. The facts are read
from the class body when mypy analyses it (class_reading.py) and kept in its metadata
(cache/metadata.py); the questions below read them, through the MRO where a base's
facts apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mypy.nodes import ClassDef, MypyFile, TypeInfo
from mypy.plugin import ClassDefContext

from mypy_asyncres.cache import metadata
from mypy_asyncres.cache.daemon import records_dependencies, spell_owner_facts
from mypy_asyncres.facts.class_reading import analyse_class
from mypy_asyncres.facts.forwarding import Forward
from mypy_asyncres.names import is_owner_release_method

# mypy asks again for a class whose analysis it deferred (many, in a large build): the
# facts depend on the parsed body alone, so the same ClassDef gets the
# same answer. The memo holds the ClassDefs it names, so that no id is reused while it
# is kept; it is emptied when full, to bound what it keeps alive.
_MEMO_SIZE = 4096
_memo: dict[int, tuple[ClassDef, frozenset[str], dict[str, Any]]] = {}


def _analysed_facts(defn: ClassDef, release_methods: frozenset[str]) -> dict[str, Any]:
    kept = _memo.get(id(defn))
    if kept is not None and kept[0] is defn and kept[1] == release_methods:
        return kept[2]
    facts = analyse_class(defn, release_methods)
    if len(_memo) >= _MEMO_SIZE:
        _memo.clear()
    _memo[id(defn)] = (defn, release_methods, facts)
    return facts


def record_class(ctx: ClassDefContext, release_methods: frozenset[str]) -> None:
    """The hook mypy runs for every class it analyses (before the body's semantic
    analysis; the parsed body is all this needs). Stubs have no bodies to read."""
    if ctx.api.is_stub_file:
        return
    facts = _analysed_facts(ctx.cls, release_methods)
    if metadata.replace_class_facts(ctx.cls.info, facts) and records_dependencies(ctx.api.options):
        spell_owner_facts(ctx, facts)


def releases(info: TypeInfo, attribute: str) -> bool:
    """Whether the class or a base releases `self.<attribute>` on its exit path (or has a
    release method whose body mypy dropped)."""
    return any(metadata.releases(base, attribute) or metadata.opaque_release(base) for base in info.mro)


def unseen_release(info: TypeInfo, names: frozenset[str], modules: dict[str, MypyFile]) -> bool:
    """Whether the class has a release method whose body the plugin cannot read: one a
    class from a stub defines (`http.client.HTTPConnection.close`, reached through
    `super()`, or `socketserver.TCPServer.server_close`). What it releases is not known."""
    for base in info.mro[:-1]:  # not `object`
        module = modules.get(base.module_name)
        if module is not None and module.is_stub and any(name in base.names for name in names):
            return True
    return False


def is_owner(info: TypeInfo) -> bool:
    """A class whose release methods release some attribute of its own (or a base's)."""
    return any(metadata.has_releases(base) for base in info.mro)


def inferred_owning(info: TypeInfo, method: str) -> frozenset[str]:
    """The parameters of `method` (as this class defines it) that the object keeps and
    releases (see `_stored_parameters`)."""
    return metadata.inferred_owning(info, method)


def owned_under_flag(info: TypeInfo, method: str) -> Mapping[str, tuple[str, bool]]:
    """The parameters of `method` that the object keeps and releases only under a flag
    another parameter sets: param -> (that parameter, whether it is on by default)."""
    return metadata.owned_if(info, method)


def method_forwards(info: TypeInfo, method: str) -> list[Forward]:
    """What `method`, as this class defines it, forwards to owning parameters (see
    forwarding.py); JSON lists when they come from the cache."""
    return metadata.forwards(info, method)


def method_enters(info: TypeInfo, method: str) -> list[str]:
    """The parameters `method`, as this class defines it, enters on every path."""
    return metadata.enters(info, method)


def borrows(info: TypeInfo, method: str) -> bool:
    """Whether `method`, as defined on this class, hands back an attribute of `self`."""
    return metadata.borrows(info, method)


def release_methods_of(info: TypeInfo, names: frozenset[str]) -> list[str]:
    """`Class.method` for each release method the class has, defined in checked code."""
    found = []
    prefixed = {
        name for base in info.mro[:-1] for name in base.names if is_owner_release_method(name, frozenset())
    }
    for name in sorted(names | prefixed):
        defining = info.get_containing_type_info(name)
        if defining is not None and defining.fullname != "builtins.object":
            found.append(f"{defining.name}.{name}")
    return found
