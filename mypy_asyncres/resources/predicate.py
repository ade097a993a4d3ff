"""What is a resource: types, and callees whose calls produce one."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass

from mypy.nodes import (
    Decorator,
    FuncDef,
    MypyFile,
    OverloadedFuncDef,
    SymbolNode,
    TypeInfo,
    Var,
)
from mypy.types import (
    CallableType,
    FunctionLike,
    Instance,
    NoneType,
    Overloaded,
    TupleType,
    Type,
    TypeVarType,
    UnionType,
    get_proper_type,
)
from mypy.typevars import fill_typevars

from mypy_asyncres.facts.marked import (
    is_marked_callable,
    is_marked_class,
)
from mypy_asyncres.facts.owner_classes import borrows, is_owner
from mypy_asyncres.memo import BuildMemo
from mypy_asyncres.names import (
    COROUTINE,
    OWNER_RELEASE_METHODS,
)
from mypy_asyncres.resources.catalogue import Catalogue
from mypy_asyncres.typeops import await_result, declares_context_manager, unwrap_coroutine


class ResourceTypes:
    """Answers "is this type a resource?" from marks and the catalogue."""

    def __init__(
        self,
        catalogue: Catalogue,
        memo: BuildMemo,
        release_methods: frozenset[str] = OWNER_RELEASE_METHODS,
        owners_are_resources: bool = False,
    ) -> None:
        self.catalogue = catalogue
        # Where owner classes release their attributes (facts/owner_classes.py).
        self.owner_release_methods = release_methods
        # Strict: owner classes are resources; unannotated returns of resources are reported.
        self.strict = owners_are_resources
        # Answers by class, kept for the build (memo.py).
        self._memo = memo
        self._classes: dict[str, bool] = {}
        self._exit_releases: dict[str, bool] = {}  # by class: no base is an exception
        self._awaitable: dict[str, bool] | None = {} if memo.keep else None

    def is_resource_class(self, info: TypeInfo) -> bool:
        return self._memo.answer(
            self._classes, info.fullname, lambda: any(self._is_resource_itself(base) for base in info.mro)
        )

    def _is_resource_itself(self, info: TypeInfo) -> bool:
        """Marked, or catalogued, itself (memoized apart: `object` and the protocols are
        in nearly every MRO)."""
        return self._memo.answer(
            self._classes,
            "=" + info.fullname,
            lambda: is_marked_class(info)
            or self.catalogue.is_class(info.fullname)
            or (self.strict and is_owner(info)),
        )

    def exit_releases(self, resource: Type, producer: str) -> bool:
        """False for entries whose `__exit__` does not release them (`sqlite3.connect`)."""
        catalogue = self.catalogue
        if not catalogue.some_exits_keep:
            return True
        if not catalogue.exit_releases(producer):
            return False
        proper = get_proper_type(resource)
        if not isinstance(proper, Instance):
            return True
        info = proper.type
        return self._memo.answer(
            self._exit_releases, info.fullname, lambda: all(catalogue.exit_releases(b.fullname) for b in info.mro)
        )

    def resource_in(self, typ: Type) -> Instance | None:
        """The resource `typ` is, or holds as a Union / Optional member."""
        proper = get_proper_type(typ)
        if isinstance(proper, Instance):
            return proper if self.is_resource_class(proper.type) else None
        if isinstance(proper, UnionType):
            for item in proper.items:
                found = self.resource_in(item)
                if found is not None:
                    return found
        return None

    def declares_resource(self, typ: Type, *, enter_protocols: bool = False, structural: bool = False) -> bool:
        """Whether a declared type is a resource, directly or as an awaitable's result.

        A type variable is not: a callee declared to return `T` hands back what it
        was given (a borrowed object), it does not create one.
        """
        proper = get_proper_type(typ)
        if isinstance(proper, UnionType) or (enter_protocols and isinstance(proper, TupleType)):
            # `Optional[Conn]`; returned, `tuple[socket, str]`: a member is handed out.
            return any(
                self.declares_resource(t, enter_protocols=enter_protocols, structural=structural)
                for t in proper.items
            )
        if not isinstance(proper, Instance):
            return False
        if self.is_resource_class(proper.type) or (
            enter_protocols and declares_context_manager(proper.type, structural=structural)
        ):
            return True
        # One level of awaiting only: `__await__` may well return the object itself.
        result = get_proper_type(await_result(proper, self._awaitable))
        items = result.items if isinstance(result, UnionType) else [result]
        return any(
            isinstance(item, Instance)
            and (
                self.is_resource_class(item.type)
                or (enter_protocols and declares_context_manager(item.type, structural=structural))
            )
            for item in items
        )


@dataclass(frozen=True)
class Producer:
    """A callee whose calls may produce a resource.

    always: every call produces one, whatever its type (a marked or catalogued
    callable); otherwise the call's inferred type decides.
    """

    fullname: str
    _: KW_ONLY
    always: bool
    # Overloaded (or a class with an overloaded constructor): mypy tries each item, and
    # an attempt with errors is not the call mypy keeps.
    overloaded: bool = False
    # A factory read from its body (facts/returned_creations.py): only its calls in this
    # module are creations.
    only_in: str = ""
    # Such a factory is an `async def`: mypy before 2.4 types the calls of an unannotated
    # one as `Any`, not as a coroutine.
    async_def: bool = False
    # What such a factory's creation calls: the catalogue's name for what it returns
    # (whether its exit releases it), and whether that can be entered (None: not known).
    creates: str = ""
    enterable: bool | None = None


def signatures(node: SymbolNode) -> list[CallableType]:
    """The callee's signatures as calls see them (a decorated function's decorated type;
    each item of an overload)."""
    typ: Type | None = None
    if isinstance(node, Decorator):
        typ = node.var.type or node.func.type
    elif isinstance(node, (FuncDef, OverloadedFuncDef, Var)):
        typ = node.type
    proper = get_proper_type(typ) if typ is not None else None
    if isinstance(proper, CallableType):
        return [proper]
    if isinstance(proper, Overloaded):
        return list(proper.items)
    return []


def _is_classmethod(node: SymbolNode) -> bool:
    if isinstance(node, Decorator):
        return node.func.is_class
    if isinstance(node, (FuncDef, OverloadedFuncDef)):
        return node.is_class
    return False


def _is_class_or_static(node: SymbolNode) -> bool:
    """Not called on an instance: `@classmethod`, `@staticmethod` (never fluent)."""
    func = node.func if isinstance(node, Decorator) else node
    return _is_classmethod(node) or (isinstance(func, (FuncDef, OverloadedFuncDef)) and func.is_static)


def _returns_own_kind(ret: Type, owner: TypeInfo) -> bool:
    """`-> Conn` (or `async def ... -> Conn`) on Conn itself or a subclass of the returned type."""
    proper = get_proper_type(ret)
    if isinstance(proper, Instance) and proper.type.fullname == COROUTINE:
        proper = get_proper_type(proper.args[-1])
    return isinstance(proper, Instance) and owner.has_base(proper.type.fullname)


def _awaits_resource(info: TypeInfo, types: ResourceTypes) -> bool:
    """`await Connecting()`, whose `__await__` returns a resource: the awaiting caller
    receives it."""
    result = await_result(fill_typevars(info))
    return result is not None and types.resource_in(result) is not None


def _is_overloaded(node: SymbolNode) -> bool:
    if isinstance(node, TypeInfo):
        return any(
            isinstance(sym.node, OverloadedFuncDef)
            for sym in (node.get("__init__"), node.get("__new__"))
            if sym is not None
        )
    if isinstance(node, Var):
        return isinstance(get_proper_type(node.type), Overloaded)
    return isinstance(node, OverloadedFuncDef)


# Declared results that hold no resource (`list[Conn]` is not one either, see
# declares_resource) and are no context manager, so a mark on such a function is invalid.
_PLAIN_RESULTS = frozenset(
    f"builtins.{name}" for name in ("str", "int", "bool", "float", "bytes", "list", "dict", "set", "tuple", "frozenset")
)


def _returns_plain(node: FuncDef) -> bool:
    """A function (no decorator, one signature) declared to return None or a plain
    builtin (many of the callees mypy asks about), decided without the rest."""
    typ = node.type
    if not isinstance(typ, CallableType):
        return False
    ret = get_proper_type(typ.ret_type)
    return isinstance(ret, NoneType) or (isinstance(ret, Instance) and ret.type.fullname in _PLAIN_RESULTS)


def classify_callee(
    node: SymbolNode,
    owner: TypeInfo | MypyFile | None,
    fullname: str,
    types: ResourceTypes,
) -> Producer | None:
    """Whether calls of this callee can produce a resource (decided once per callee name)."""
    if type(node) is FuncDef and _returns_plain(node):
        return Producer(fullname, always=True) if types.catalogue.is_callable(fullname) else None
    if isinstance(node, TypeInfo):
        if types.is_resource_class(node) or (node.get("__await__") is not None and _awaits_resource(node, types)):
            return Producer(fullname, always=False, overloaded=_is_overloaded(node))
        return None
    if isinstance(node, Var) and not isinstance(get_proper_type(node.type), FunctionLike):
        return None  # a variable called through its type (`__call__`): mypy asks by method
    if not isinstance(node, (Decorator, FuncDef, OverloadedFuncDef, Var)):
        return None
    if is_marked_callable(node, owner) or types.catalogue.is_callable(fullname):
        return Producer(fullname, always=True, overloaded=_is_overloaded(node))
    if isinstance(owner, TypeInfo) and borrows(owner, fullname.rpartition(".")[2]):
        return None  # `def session(self) -> ClientSession: return self._session` lends it
    for sig in signatures(node):
        ret = unwrap_coroutine(get_proper_type(sig.ret_type))
        if isinstance(owner, TypeInfo) and not _is_class_or_static(node) and _returns_own_kind(ret, owner):
            # `conn.configured() -> Conn` on Conn itself: a fluent method hands back
            # the receiver (or its like), which its creator already owns.
            continue
        if isinstance(ret, TypeVarType):
            # `def create(cls) -> Self`: an alternative constructor creates a new object.
            if _is_classmethod(node) and types.declares_resource(ret.upper_bound):
                return Producer(fullname, always=False, overloaded=_is_overloaded(node))
            continue
        if types.declares_resource(ret) or (
            isinstance(ret, TupleType)
            and ret.partial_fallback.type.fullname == "builtins.tuple"
            and any(types.declares_resource(item) for item in ret.items)
        ):
            # (`-> tuple[Lease, int]`: the caller receives the resource as a member.)
            return Producer(fullname, always=False, overloaded=_is_overloaded(node))
    return None
