"""Owning parameters: a resource passed where the callee takes ownership of it.

`aiohttp.ClientSession(connector=TCPConnector())` is not a leak: the session closes its
connector. The catalogue lists such parameters of library APIs (`owns`), and in-house
code declares its own with `@owns("param")` (marks.py). The outer call is resolved here,
from the call's syntax or, for a method called on an instance, from the receiver's type.
"""

from __future__ import annotations

from mypy.checker import TypeChecker
from mypy.nodes import (
    CallExpr,
    Decorator,
    Expression,
    FuncDef,
    MemberExpr,
    MypyFile,
    NameExpr,
    OverloadedFuncDef,
    RefExpr,
    SymbolNode,
    TypeInfo,
    Var,
)
from mypy.nodes import ARG_STAR, ARG_STAR2
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

from mypy_asyncres.daemon import record_owner_dependencies
from mypy_asyncres.fingerprint import records_dependencies
from mypy_asyncres.marking import owning_parameters
from mypy_asyncres.ownership import inferred_owning
from mypy_asyncres.resources import ResourceTypes
from mypy_asyncres.sites import Site


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
    if isinstance(node, TypeInfo):
        init = node.get_containing_type_info("__init__")
        init_node = init.names["__init__"].node if init is not None else None
        if init is None or init_node is None:
            return None
        return node.fullname, init_node, init, True
    if isinstance(node, (FuncDef, Decorator, OverloadedFuncDef)):
        func = node.func if isinstance(node, Decorator) else node
        if func.info:
            return node.fullname, node, func.info, True
        module = checker.modules.get(node.fullname.rpartition(".")[0])
        return node.fullname, node, module, False
    if isinstance(callee, MemberExpr):
        receiver = get_proper_type(checker.lookup_type_or_none(callee.expr))
        info = None
        if isinstance(receiver, Instance):
            info = receiver.type
        elif isinstance(receiver, FunctionLike) and receiver.is_type_obj():
            info = receiver.type_object()  # `Client.create(...)`: called through the class
        elif isinstance(receiver, TypeType) and isinstance(receiver.item, Instance):
            info = receiver.item.type
        if info is not None:
            defining = info.get_containing_type_info(callee.name)
            method = defining.names[callee.name].node if defining is not None else None
            if defining is not None and method is not None:
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
    fullname, node, owner, is_method = found
    owning = types.catalogue.owning_parameters(fullname) | owning_parameters(node, owner)
    if isinstance(owner, TypeInfo):
        owning |= inferred_owning(owner, node.name)  # a class's constructor: its `__init__`
        if records_dependencies(checker.options):
            record_owner_dependencies(checker, owner)
    if not owning:
        return False
    outer = site.outer
    assert outer is not None
    for keyword in types.catalogue.ownership_kept_by(fullname):
        if any(
            name == keyword and isinstance(value, NameExpr) and value.fullname == "builtins.False"
            for name, value in zip(outer.arg_names, outer.args)
        ):
            return False  # `connector_owner=False`: the caller keeps it
    argument = site.argument
    if argument in owning:
        return True
    if argument.startswith("#"):
        names = _arg_names(node, drop_self=is_method)
        position = int(argument[1:])
        return position < len(names) and names[position] in owning
    return False


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
    if argument.startswith("#"):
        position = int(argument[1:])
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
        if callee is None:
            return False
    if isinstance(get_proper_type(callee), AnyType):
        return True
    parameter = _parameter_type(callee, site.argument)
    return parameter is not None and isinstance(get_proper_type(parameter), AnyType)
