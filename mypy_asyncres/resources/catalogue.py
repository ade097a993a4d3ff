"""The built-in catalogue of third-party and standard-library resources.

Entries are kept as data (`catalogue_data/<library>.json`) under the names users know
(`aiohttp.ClientSession`); mypy knows them by their defining names
(`aiohttp.client.ClientSession`). Names are resolved lazily, per top-level
package, the first time the plugin meets a name from that package, because
the package is analysed only when something imports it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from importlib import resources
from typing import Final, Protocol

from mypy.nodes import (
    Decorator,
    FuncDef,
    MypyFile,
    OverloadedFuncDef,
    SymbolTableNode,
    TypeAlias,
    TypeInfo,
    Var,
)
from mypy.types import FunctionLike, Instance, get_proper_type

from mypy_asyncres.config import Config, ConfigError, error_line

Lookup = Callable[[str], "SymbolTableNode | None"]

DATA_DIR: Final = "catalogue_data"
# Package folders that hold a copy of another library under a new name
# (`pip._vendor.requests`, `botocore.vendored.requests`): the copy's names are entries too.
VENDOR_FOLDERS: Final = frozenset({"_vendor", "vendor", "_vendored", "vendored"})
# "owner": not a resource; a callable (or class) that takes ownership of the resources
# passed to the parameters listed in `owns`. "auto" (configured names): whatever it is.
KINDS: Final = ("class", "callable", "owner")


@dataclass(frozen=True)
class Entry:
    """One resource. kind: "class" (every creation of it or a subclass) or "callable"
    (every call, whatever it returns). exit_releases: False for context managers whose
    exit does not release (`sqlite3.connect`): entering them directly is its own error."""

    name: str
    kind: str
    library: str
    what: str = ""
    exit_releases: bool = True
    # The top-level package where mypy defines it, when not that of `name`
    # (`sqlite3.connect` is `_sqlite3.connect`): a call names the defining package.
    defined_in: str = ""
    # Parameters that take ownership of the resource passed to them: names, or "#<position>".
    owns: tuple[str, ...] = ()
    # Keywords that, passed as `False`, keep the ownership with the caller
    # (`ClientSession(connector=c, connector_owner=False)`).
    owns_unless: tuple[str, ...] = ()
    # Keywords one of which must be passed as `True` for a call to produce the resource
    # (`client.send(request, stream=True)`); empty: every call does.
    only_with: tuple[str, ...] = ()
    # Class entries its calls return: switching the callable off alone leaves them on.
    produces: tuple[str, ...] = ()

    @property
    def roots(self) -> set[str]:
        return {_root(self.name), self.defined_in or _root(self.name)}


def parse_entries(raw: bytes, source: str) -> list[Entry]:
    data = json.loads(raw)
    library = data["library"]
    entries = []
    for item in data["entries"]:
        if item["kind"] not in KINDS:
            raise ValueError(f"{source}: {item['name']}: kind must be one of {KINDS}")
        entries.append(
            Entry(
                item["name"],
                item["kind"],
                library,
                item.get("what", ""),
                item.get("exit_releases", True),
                item.get("defined_in", ""),
                tuple(item.get("owns", ())),
                tuple(item.get("owns_unless", ())),
                tuple(item.get("only_with", ())),
                tuple(item.get("produces", ())),
            )
        )
    return entries


def load_entries() -> list[Entry]:
    """The entries of the bundled catalogue (mypy's cache follows its files through
    fingerprint.catalogue_digest)."""
    entries: list[Entry] = []
    folder = resources.files("mypy_asyncres.resources").joinpath(DATA_DIR)
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.endswith(".json"):
            entries.extend(parse_entries(path.read_bytes(), path.name))
    return entries


CONFIG_LIBRARY: Final = "config"


def with_config(entries: list[Entry], config: Config, config_file: str) -> list[Entry]:
    """The catalogue trimmed by `ignore_resources` and grown by `resources` / `needs_closing`."""
    known = {entry.name for entry in entries}
    for name in config.ignore_resources:
        if name not in known:
            raise ConfigError(error_line(config_file, f'ignore_resources: "{name}" is not an entry of the catalogue'))
    ignored = set(config.ignore_resources)
    by_name = {entry.name: entry for entry in entries}
    for name in config.ignore_resources:
        for produced in by_name[name].produces:
            if produced not in ignored:
                raise ConfigError(
                    error_line(
                        config_file,
                        f'ignore_resources: "{name}" is switched off, but what it returns is still a resource '
                        f'through "{produced}": switch that entry off too',
                    )
                )
    closing = set(config.needs_closing)
    result = [
        replace(entry, exit_releases=entry.exit_releases and entry.name not in closing)
        for entry in entries
        if entry.name not in ignored
    ]
    for name in dict.fromkeys([*config.resources, *config.needs_closing]):
        if name not in known or name in ignored:
            result.append(Entry(name, "auto", CONFIG_LIBRARY, exit_releases=name not in closing))
    return result


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
    if isinstance(node, Var) and isinstance(get_proper_type(node.type), FunctionLike):
        # `tarfile.open = TarFile.open`, `io.open = builtins.open` in the stubs.
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


class CatalogueListener(Protocol):
    def consulted_pending(self, root: str) -> None: ...

    def grew(self, roots: set[str]) -> None: ...


class Catalogue:
    """Resolved defining names of the resources, grown package by package."""

    def __init__(
        self,
        entries: list[Entry],
        lookup: Lookup,
        modules: Callable[[], dict[str, MypyFile]],
        on_unresolved: Callable[[Entry], None],
        listener: CatalogueListener,
    ) -> None:
        self._lookup = lookup
        self._modules = modules
        # Called for a configured name whose module is checked but lacks it (a typo).
        self._on_unresolved = on_unresolved
        # Unresolved entries by every top-level package whose names may trigger them.
        self._pending: dict[str, list[Entry]] = {}
        for entry in entries:
            for root in entry.roots:
                self._pending.setdefault(root, []).append(entry)
        # Built-in entries by their library's top-level package, to be copied under the
        # prefix of a vendored copy the first time a name from that copy is met.
        self._by_root: dict[str, list[Entry]] = {}
        for entry in entries:
            if entry.library != CONFIG_LIBRARY and entry.roots == {_root(entry.name)}:
                self._by_root.setdefault(_root(entry.name), []).append(entry)
        self._vendored: set[str] = set()  # prefixes copied (`pip._vendor.requests`)
        self._configured_roots = sorted(
            {root for entry in entries if entry.library == CONFIG_LIBRARY for root in entry.roots}
        )
        self.classes: set[str] = set()
        self.callables: set[str] = set()
        # Defining names of callables and classes with owning parameters.
        self._owning: dict[str, frozenset[str]] = {}
        self._owning_unless: dict[str, tuple[str, ...]] = {}
        self._only_with: dict[str, tuple[str, ...]] = {}
        # Defining names of entries whose `__exit__` does not release them.
        self._exit_keeps: set[str] = set()
        self.some_exits_keep = any(not entry.exit_releases for entry in entries)
        # Told which packages an answer consults while they have unresolved entries, and
        # which packages gained resolved names (memo.BuildMemo).
        self._listener = listener
        # How many modules were loaded at the last complete attempt, per package.
        self._attempted: dict[str, int] = {}

    def _resolve_package(self, root: str) -> None:
        modules = self._modules()
        if self._attempted.get(root) == len(modules):
            return  # nothing new is loaded since the last attempt: nothing can resolve now
        waiting = False
        grown: set[str] = set()
        for entry in list(self._pending.get(root, [])):
            module = _defining_module(entry.name, modules)
            if module is not None and not module.names:
                waiting = True  # not analysed yet (a later SCC): try again on the next call
                continue
            resolved = resolve(entry.name, self._lookup) if module is not None else None
            if resolved is None and not _certainly_absent(entry.name, module):
                # Its module may be one that mypy has not loaded yet: from the cache, mypy
                # loads a module only when the first module that imports it is processed.
                continue
            for other in entry.roots:  # settled: resolved, or absent from this build
                self._pending[other].remove(entry)
                if not self._pending[other]:
                    del self._pending[other]
            if resolved is None:
                # A catalogue entry absent from the installed version is skipped; a
                # configured one is the user's typo.
                if entry.library == CONFIG_LIBRARY:
                    self._on_unresolved(entry)
                continue
            kind, fullname = resolved
            if entry.owns:
                self._owning[fullname] = frozenset(entry.owns)
                self._owning_unless[fullname] = entry.owns_unless
            if entry.only_with:
                self._only_with[fullname] = entry.only_with
            if entry.kind != "owner":
                (self.classes if kind == "class" else self.callables).add(fullname)
            if not entry.exit_releases:
                self._exit_keeps.add(fullname)
            grown.update(entry.roots)
        if grown:
            self._listener.grew(grown)
        if not waiting:
            self._attempted[root] = len(modules)

    def _copy_vendored(self, fullname: str) -> None:
        """Entries under the vendored copy that `fullname` names, if it names one whose
        library the catalogue lists (`pip._vendor.requests.sessions.Session`)."""
        parts = fullname.split(".")
        for i in range(1, len(parts) - 1):
            if parts[i] in VENDOR_FOLDERS and parts[i + 1] in self._by_root:
                prefix = ".".join(parts[: i + 1])
                copied = f"{prefix}.{parts[i + 1]}"
                if copied in self._vendored:
                    return
                self._vendored.add(copied)
                root = parts[0]
                self._pending.setdefault(root, []).extend(
                    replace(entry, name=f"{prefix}.{entry.name}", produces=())
                    for entry in self._by_root[parts[i + 1]]
                )
                self._attempted.pop(root, None)
                return

    def settle_configured(self) -> None:
        """Resolve the configured names whose modules are analysed by now, so that a typo
        is reported even if nothing calls into its module."""
        if not self._configured_roots:
            return
        for root in [root for root in self._configured_roots if root in self._pending]:
            self._resolve_package(root)

    def _settle(self, fullname: str) -> None:
        if "vendor" in fullname:
            self._copy_vendored(fullname)
        pending = self._pending
        if not pending:
            return
        root = fullname.partition(".")[0]
        if root in pending:
            self._resolve_package(root)
            if root in pending:  # still unresolved entries: the answer may change
                self._listener.consulted_pending(root)

    def is_class(self, fullname: str) -> bool:
        self._settle(fullname)
        return fullname in self.classes

    def is_callable(self, fullname: str) -> bool:
        self._settle(fullname)
        return fullname in self.callables

    def modules(self) -> dict[str, MypyFile]:
        """The modules of the build (mypy's own dictionary)."""
        return self._modules()

    def owning(self, fullname: str) -> frozenset[str]:
        """The parameters of a callable or class (its constructor) that take ownership."""
        self._settle(fullname)
        return self._owning.get(fullname, frozenset())

    def ownership_kept_by(self, fullname: str) -> tuple[str, ...]:
        """Keywords of an owning callee that, passed as `False`, keep ownership with the caller."""
        return self._owning_unless.get(fullname, ())

    def required_keywords(self, fullname: str) -> tuple[str, ...]:
        """Keywords one of which a call must pass as `True` to produce the resource."""
        return self._only_with.get(fullname, ())

    def exit_releases(self, fullname: str) -> bool:
        """False for entries whose exit does not release them (`sqlite3.connect`)."""
        if not self.some_exits_keep:
            return True
        self._settle(fullname)
        return fullname not in self._exit_keeps


def _certainly_absent(name: str, module: MypyFile | None) -> bool:
    """Whether a name that did not resolve is absent, not in a module still to be loaded.

    `module` is the longest loaded prefix of the name. The rest may start with a
    submodule that is not loaded yet, unless it names a class of `module` or is a
    single name that `module` lacks.
    """
    if module is None:
        return False
    rest = name[len(module.fullname) + 1 :].split(".")
    sym = module.names.get(rest[0])
    if sym is None:
        # A module that is not a package has no submodules.
        return len(rest) == 1 or not module.is_package_init_file()
    return isinstance(sym.node, TypeInfo)


def _defining_module(name: str, modules: dict[str, MypyFile]) -> MypyFile | None:
    """The module part of a dotted name: its longest prefix that is a loaded module."""
    head = name
    while "." in head:
        head = head.rpartition(".")[0]
        module = modules.get(head)
        if module is not None:
            return module
    return None


def markdown_table(entries: Iterable[Entry]) -> str:
    """The README's catalogue table, generated from the data."""
    rows = ["| library | name | kind | notes |", "| --- | --- | --- | --- |"]
    for entry in sorted(entries, key=lambda e: (e.library != "stdlib", e.library, e.name)):
        notes = [entry.what] if entry.what else []
        if entry.owns:
            owned = ", ".join(f"`{p}`" for p in entry.owns if not p.startswith("#"))
            unless = "".join(f" (unless `{k}=False`)" for k in entry.owns_unless)
            notes.append(f"owns what is passed as {owned}{unless}")
        if entry.only_with:
            notes.append("only with " + " or ".join(f"`{k}=True`" for k in entry.only_with))
        if not entry.exit_releases:
            notes.append("exit does not release: enter through `contextlib.closing` (`resource-needs-closing`)")
        rows.append(f"| {entry.library} | `{entry.name}` | {entry.kind} | {'; '.join(notes)} |")
    return "\n".join(rows)
