"""Owning parameters: a resource passed where the callee takes ownership of it.

`aiohttp.ClientSession(connector=TCPConnector())` is not a leak: the session closes its
connector. The catalogue lists such parameters of library APIs (`owns`), and in-house
code declares its own with `@owns("param")` (marks.py). The outer call is resolved here,
from the call's syntax or, for a method called on an instance, from the receiver's type.
"""

from __future__ import annotations

from mypy.checker import TypeChecker
from mypy.nodes import (
    Decorator,
    FuncDef,
    MemberExpr,
    MypyFile,
    OverloadedFuncDef,
    RefExpr,
    SymbolNode,
    TypeInfo,
)
from mypy.types import FunctionLike, Instance, TypeType, get_proper_type

from mypy_asyncres.marking import owning_parameters
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


def takes_ownership(site: Site, checker: TypeChecker, types: ResourceTypes) -> bool:
    """Whether the argument position of a PASSED site is an owning parameter."""
    found = _callee(site, checker)
    if found is None:
        return False
    fullname, node, owner, is_method = found
    owning = types.catalogue.owning_parameters(fullname) | owning_parameters(node, owner)
    if not owning:
        return False
    argument = site.argument
    if argument in owning:
        return True
    if argument.startswith("#"):
        names = _arg_names(node, drop_self=is_method)
        position = int(argument[1:])
        return position < len(names) and names[position] in owning
    return False
