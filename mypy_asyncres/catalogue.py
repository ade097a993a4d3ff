"""The built-in catalogue of third-party and standard-library resources.

Entries are kept as data (`catalogue.json`) under the names users know
(`aiohttp.ClientSession`); mypy knows them by their defining names
(`aiohttp.client.ClientSession`). Names are resolved lazily, per top-level
package, the first time the plugin meets a name from that package, because
the package is analysed only when something imports it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Final

from mypy.nodes import (
    Decorator,
    FuncDef,
    MypyFile,
    OverloadedFuncDef,
    SymbolTableNode,
    TypeAlias,
    TypeInfo,
)
from mypy.types import Instance, get_proper_type

Lookup = Callable[[str], "SymbolTableNode | None"]

CATALOGUE_FILE: Final = "catalogue.json"


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str  # "class" or "callable"
    library: str
    what: str = ""


def load_entries() -> tuple[list[Entry], str]:
    """The entries of the bundled catalogue and a digest of the file (for mypy's cache)."""
    raw = resources.files("mypy_asyncres").joinpath(CATALOGUE_FILE).read_bytes()
    data = json.loads(raw)
    entries = [
        Entry(item["name"], kind, item["library"], item.get("what", ""))
        for key, kind in (("classes", "class"), ("callables", "callable"))
        for item in data[key]
    ]
    return entries, hashlib.sha256(raw).hexdigest()[:16]


def _root(fullname: str) -> str:
    return fullname.partition(".")[0]


def resolve(name: str, lookup: Lookup) -> tuple[str, str] | None:
    """Resolve a public name to (kind, defining fullname); None if it does not exist.

    kind is "class" or "callable". Methods are named by the class that defines them,
    which is how the plugin normalises method calls too.
    """
    sym = lookup(name)
    node = sym.node if sym is not None else None
    if isinstance(node, TypeAlias):
        target = get_proper_type(node.target)
        node = target.type if isinstance(target, Instance) else None
    if isinstance(node, TypeInfo):
        return "class", node.fullname
    if isinstance(node, (FuncDef, Decorator, OverloadedFuncDef)):
        # A method's fullname is that of the class that defines it.
        return "callable", node.fullname
    owner_name, _, member = name.rpartition(".")
    if not owner_name:
        return None
    owner = resolve(owner_name, lookup)
    if owner is None or owner[0] != "class":
        return None
    owner_sym = lookup(owner[1])
    info = owner_sym.node if owner_sym is not None else None
    if not isinstance(info, TypeInfo):
        return None
    defining = info.get_containing_type_info(member)
    if defining is None:
        return None
    return "callable", f"{defining.fullname}.{member}"


class Catalogue:
    """Resolved defining names of the resources, grown package by package."""

    def __init__(
        self, entries: Iterable[Entry], lookup: Lookup, modules: Callable[[], dict[str, MypyFile]]
    ) -> None:
        self._lookup = lookup
        self._modules = modules
        self._pending: dict[str, list[Entry]] = {}
        for entry in entries:
            self._pending.setdefault(_root(entry.name), []).append(entry)
        self.classes: set[str] = set()
        self.callables: set[str] = set()

    def _resolve_package(self, root: str) -> None:
        modules = self._modules()
        waiting: list[Entry] = []
        for entry in self._pending.pop(root, []):
            module = _defining_module(entry.name, modules)
            if module is None:
                continue  # the library is not part of this build
            if not module.names:
                waiting.append(entry)  # not analysed yet (a later SCC): try again later
                continue
            # An entry that does not resolve does not exist in the installed version.
            resolved = resolve(entry.name, self._lookup)
            if resolved is not None:
                kind, fullname = resolved
                (self.classes if kind == "class" else self.callables).add(fullname)
        if waiting:
            self._pending[root] = waiting

    def is_class(self, fullname: str) -> bool:
        if self._pending and _root(fullname) in self._pending:
            self._resolve_package(_root(fullname))
        return fullname in self.classes

    def is_callable(self, fullname: str) -> bool:
        if self._pending and _root(fullname) in self._pending:
            self._resolve_package(_root(fullname))
        return fullname in self.callables


def _defining_module(name: str, modules: dict[str, MypyFile]) -> MypyFile | None:
    """The module part of a dotted name: its longest prefix that is a loaded module."""
    head = name
    while "." in head:
        head = head.rpartition(".")[0]
        module = modules.get(head)
        if module is not None:
            return module
    return None
