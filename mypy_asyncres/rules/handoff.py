"""Owning parameters: a resource passed where the callee takes ownership of it.

`aiohttp.ClientSession(connector=TCPConnector())` is not a leak: the session closes its
connector. The catalogue lists such parameters of library APIs (`owns`), and in-house
code declares its own with `@owns("param")` (marks.py). The outer call is resolved here,
from the call's syntax or, for a method called on an instance, from the receiver's type.
"""

from __future__ import annotations

from mypy.checker import TypeChecker
from mypy.nodes import (
    ARG_POS,
    ARG_STAR,
    ARG_STAR2,
    CallExpr,
    Decorator,
    Expression,
    FuncDef,
    MemberExpr,
    MypyFile,
    NameExpr,
    OverloadedFuncDef,
    RefExpr,
    SuperExpr,
    SymbolNode,
    TypeInfo,
    Var,
)
from mypy.subtypes import find_member
from mypy.types import (
    AnyType,
    CallableType,
    FunctionLike,
    Instance,
    ProperType,
    Type,
    TypeType,
    TypeVarType,
    get_proper_type,
)

from mypy_asyncres.cache.daemon import record_owner_dependencies, records_dependencies
from mypy_asyncres.facts.forwarding import SUPER_INIT
from mypy_asyncres.facts.owner_classes import owned_under_flag
from mypy_asyncres.facts.owning_parameters import entered_by_callee, forwarded_parameters, owning_parameters
from mypy_asyncres.resources.predicate import ResourceTypes
from mypy_asyncres.sites.model import Site, argument_position
from mypy_asyncres.typeops import declared_type, method_through_mro


def _arg_names(node: SymbolNode, drop_self: bool) -> list[str | None]:
    if isinstance(node, OverloadedFuncDef):
        impl = node.impl if node.impl is not None else node.items[0]
        node = impl
    func = node.func if isinstance(node, Decorator) else node
    if not isinstance(func, FuncDef):
        return []
    names = list(func.arg_names)
    return names[1:] if drop_self and not func.is_static else names


def _callee(site: Site, checker: TypeChecker) -> tuple[str, SymbolNode, TypeInfo | MypyFile | None, bool] | None:
    """(defining fullname, node, where its marks are kept, whether it is a method) of the
    call the resource is passed to. A class stands for its `__init__`."""
    outer = site.outer
    if outer is None:
        return None
    callee = outer.callee
    node = callee.node if isinstance(callee, RefExpr) else None
    if not isinstance(node, (TypeInfo, FuncDef, Decorator, OverloadedFuncDef)) and not isinstance(callee, MemberExpr):
        # `cls(pool)` in a classmethod, `type(self)(pool)`: the class's constructor.
        node = _constructed_class(checker.lookup_type_or_none(callee)) or _own_class(site, callee) or node
    if isinstance(node, (TypeInfo, FuncDef, Decorator, OverloadedFuncDef)):
        return _as_callee(node, checker)
    if isinstance(callee, SuperExpr) and callee.info is not None:
        # `super().__init__(session)`: the base class's method.
        defining = next((base for base in callee.info.mro[1:] if callee.name in base.names), None)
        method = defining.names[callee.name].node if defining is not None else None
        if defining is None or method is None:
            return None
        return f"{defining.fullname}.{callee.name}", method, defining, True
    if isinstance(callee, MemberExpr):
        receiver = get_proper_type(checker.lookup_type_or_none(callee.expr) or declared_type(callee.expr))
        info = None
        if isinstance(receiver, Instance):
            info = receiver.type
        elif isinstance(receiver, FunctionLike) and receiver.is_type_obj():
            info = receiver.type_object()  # `Client.create(...)`: called through the class
        elif isinstance(receiver, TypeType) and isinstance(receiver.item, Instance):
            info = receiver.item.type
        if info is not None:
            found = method_through_mro(info, callee.name)
            if found is not None:
                defining, method = found
                return f"{defining.fullname}.{callee.name}", method, defining, True
    return None


def _constructed_class(typ: Type | None) -> TypeInfo | None:
    """The class a call of a value of this type constructs: `type[Db]`, `type[Self]`."""
    proper = get_proper_type(typ) if typ is not None else None
    if isinstance(proper, FunctionLike) and proper.is_type_obj():
        return proper.type_object()
    if isinstance(proper, TypeType):
        item = get_proper_type(proper.item)
        if isinstance(item, TypeVarType):
            item = get_proper_type(item.upper_bound)
        if isinstance(item, Instance):
            return item.type
    return None


def _own_class(site: Site, callee: Expression) -> TypeInfo | None:
    """`cls` of the classmethod the call sits in, or `type(self)`, before mypy has
    checked that statement."""
    function = site.function.node if site.function is not None else None
    if not isinstance(function, FuncDef) or not function.info or not function.arguments:
        return None
    first = function.arguments[0].variable
    if isinstance(callee, NameExpr) and function.is_class and callee.node is first:
        return function.info
    if (
        isinstance(callee, CallExpr)
        and isinstance(callee.callee, NameExpr)
        and callee.callee.fullname == "builtins.type"
        and len(callee.args) == 1
        and isinstance(callee.args[0], NameExpr)
        and callee.args[0].node is first
    ):
        return function.info
    return None


def takes_ownership(site: Site, checker: TypeChecker, types: ResourceTypes) -> bool:
    """Whether the argument position of a PASSED site is an owning parameter."""
    found = _callee(site, checker)
    if found is None:
        return False
    outer = site.outer
    assert outer is not None
    kept = frozenset(
        name for name, value in zip(outer.arg_names, outer.args)
        if name is not None and isinstance(value, NameExpr) and value.fullname == "builtins.False"
    )
    return _owns_argument(found, site.argument, kept, checker, types, depth=0, call=outer)


_OFF = frozenset({"builtins.False", "builtins.None"})


def _value_given(call: CallExpr, names: list[str | None], parameter: str) -> Expression | None:
    """What the call passes for `parameter`, by keyword or by position."""
    for i, (value, kind, keyword) in enumerate(zip(call.args, call.arg_kinds, call.arg_names)):
        if keyword == parameter or (kind == ARG_POS and i < len(names) and names[i] == parameter):
            return value
    return None


# How many forwarding factories deep a hand-off is followed.
_MAX_FORWARDING = 3


def _owns_argument(
    callee: tuple[str, SymbolNode, TypeInfo | MypyFile | None, bool],
    argument: str,
    kept: frozenset[str],
    checker: TypeChecker,
    types: ResourceTypes,
    depth: int,
    call: CallExpr | None = None,
) -> bool:
    """Whether the callee owns what it is given as `argument` ("name" or "#i"); kept:
    the keywords the call passes as `False` (`connector_owner=False`); call: the call
    itself, when it is the one in the source (not a factory's forwarded one)."""
    fullname, node, owner, is_method = callee
    if kept & set(types.catalogue.ownership_kept_by(fullname)):
        return False  # `connector_owner=False`: the caller keeps it
    parameter = argument
    position = argument_position(argument)
    names = _arg_names(node, drop_self=is_method)
    if position is not None:
        parameter = (names[position] or "") if position < len(names) else ""
    owning = owning_parameters(fullname, node, owner, types)
    if isinstance(owner, TypeInfo) and records_dependencies(checker.options):
        record_owner_dependencies(checker, owner)
    if argument in owning or parameter in owning:
        return True
    if not parameter:
        return False
    if isinstance(owner, TypeInfo) and call is not None:
        flagged = owned_under_flag(owner, node.name).get(parameter)
        if flagged is not None:
            # `_Reader(handle, close_handle=True)`: owned as the flag says.
            flag, on_by_default = flagged
            value = _value_given(call, names, flag)
            if value is None:
                return on_by_default
            return not (isinstance(value, NameExpr) and value.fullname in _OFF)
    if parameter in entered_by_callee(node, owner, checker):
        return True  # `await run_in(transaction())`: the callee enters it on every path
    if depth >= _MAX_FORWARDING:
        return False
    for forwarded, target_text, target_argument, target_kept in forwarded_parameters(node, owner, checker):
        if forwarded != parameter:
            continue
        target = _resolve(target_text, owner, checker)
        if target is not None and _owns_argument(
            target, target_argument, frozenset(target_kept), checker, types, depth + 1
        ):
            return True
    return False


def _resolve(
    text: str, owner: TypeInfo | MypyFile | None, checker: TypeChecker
) -> tuple[str, SymbolNode, TypeInfo | MypyFile | None, bool] | None:
    """The callee a factory's body names (`aiohttp.ClientSession`, `ClientSession`,
    `cls`), looked up in the factory's module."""
    if isinstance(owner, TypeInfo) and text == "cls":
        return _constructor(owner)
    if isinstance(owner, TypeInfo) and text == SUPER_INIT:
        # The constructor of the next class in the MRO that defines one (and is checked).
        base = next((b for b in owner.mro[1:] if "__init__" in b.names), None)
        init = base.names["__init__"].node if base is not None else None
        if base is None or init is None or base.fullname == "builtins.object":
            return None
        return base.fullname, init, base, True
    head, _, member = text.partition(".")
    if isinstance(owner, TypeInfo) and head in ("cls", "self") and member and "." not in member:
        # `cls.make(connector)`, `self._open(connector)`: another method of the class.
        found = method_through_mro(owner, member)
        if found is None:
            return None
        defining, method = found
        return f"{defining.fullname}.{member}", method, defining, True
    module_name = owner.module_name if isinstance(owner, TypeInfo) else owner.fullname if owner else ""
    module = checker.modules.get(module_name)
    if module is None:
        return None
    first, *rest = text.split(".")
    sym = module.names.get(first)
    node = sym.node if sym is not None else None
    for part in rest:
        inner = node.names.get(part) if isinstance(node, (MypyFile, TypeInfo)) else None
        node = inner.node if inner is not None else None
    if isinstance(node, (TypeInfo, FuncDef, Decorator, OverloadedFuncDef)):
        return _as_callee(node, checker)
    return None


def _as_callee(
    node: TypeInfo | FuncDef | Decorator | OverloadedFuncDef, checker: TypeChecker
) -> tuple[str, SymbolNode, TypeInfo | MypyFile | None, bool] | None:
    """(defining fullname, node, where its marks are kept, whether it is a method) of a
    class (its constructor) or a function."""
    if isinstance(node, TypeInfo):
        return _constructor(node)
    func = node.func if isinstance(node, Decorator) else node
    if func.info:
        return node.fullname, node, func.info, True
    return node.fullname, node, checker.modules.get(node.fullname.rpartition(".")[0]), False


def _constructor(info: TypeInfo) -> tuple[str, SymbolNode, TypeInfo, bool] | None:
    """A class stands for its `__init__`."""
    init = info.get_containing_type_info("__init__")
    init_node = init.names["__init__"].node if init is not None else None
    if init is None or init_node is None:
        return None
    return info.fullname, init_node, init, True


def _parameter_type(callee: Type, argument: str) -> Type | None:
    """The declared type of the parameter that receives `argument` ("name" or "#i")."""
    proper: ProperType | None = get_proper_type(callee)
    if isinstance(proper, Instance):
        call = proper.type.get("__call__")
        if call is None:
            return None
        member = find_member("__call__", proper, proper)
        proper = get_proper_type(member) if member is not None else None
    if not isinstance(proper, CallableType):
        return None
    kinds, names = proper.arg_kinds, proper.arg_names
    position = argument_position(argument)
    if position is not None:
        for i, kind in enumerate(kinds):
            if kind == ARG_STAR or (kind.is_positional() and i == position):
                return proper.arg_types[i]
        return None
    for i, (kind, name) in enumerate(zip(kinds, names)):
        if name == argument and not kind.is_star():
            return proper.arg_types[i]
    for i, kind in enumerate(kinds):
        if kind == ARG_STAR2:
            return proper.arg_types[i]
    return None


def passed_where_unknown(site: Site, checker: TypeChecker) -> bool:
    """Whether the resource goes to a callee that mypy cannot type at that argument: the
    callee is `Any` or unannotated, or the parameter is declared `Any` (`*args: Any`).
    What such a callee does with it is not known."""
    outer = site.outer
    if outer is None:
        return False
    callee = checker.lookup_type_or_none(outer.callee)
    if callee is None:
        # Not checked yet (a later statement): the declared type of what it names.
        node = outer.callee.node if isinstance(outer.callee, RefExpr) else None
        if isinstance(node, Decorator):
            node = node.var if node.var.type is not None else node.func
        if isinstance(node, FuncDef) and (node.type is None or getattr(node.type, "implicit", False)):
            return True  # unannotated
        callee = getattr(node, "type", None) if isinstance(node, (FuncDef, OverloadedFuncDef, Var)) else None
        if callee is None and isinstance(outer.callee, MemberExpr):
            # `loop.create_server(sock=sock)` on a receiver of no known type yet (an
            # unannotated parameter, a local bound later from `Any`).
            receiver = checker.lookup_type_or_none(outer.callee.expr) or declared_type(outer.callee.expr)
            return receiver is None or isinstance(get_proper_type(receiver), AnyType)
        if callee is None:
            return False
    if isinstance(get_proper_type(callee), AnyType):
        return True
    parameter = _parameter_type(callee, site.argument)
    return parameter is not None and isinstance(get_proper_type(parameter), AnyType)

