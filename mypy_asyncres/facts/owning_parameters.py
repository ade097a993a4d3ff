"""Owning parameters, whatever their source: the parameters of a callee that take
ownership of what they are given. Declared (`@owns`, facts/marked.py), catalogued
(`owns` entries, also through the base a callee overrides), inferred from bodies (stored
in a field the class releases, owner_classes.py; entered on every path or forwarded to
an owning parameter of what the callee returns, forwarding.py).

Whether a call's argument lands in one (positions, `connector_owner=False`, forwarding
through several factories) is decided at the hand-off (rules/handoff.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from mypy.checker import TypeChecker
from mypy.nodes import (
    Decorator,
    FuncDef,
    MypyFile,
    OverloadedFuncDef,
    SymbolNode,
    TypeInfo,
)

from mypy_asyncres.facts.forwarding import Forward, entered_parameters, forwards_of
from mypy_asyncres.facts.marked import declared_owning
from mypy_asyncres.facts.owner_classes import (
    inferred_owning,
    method_enters,
    method_forwards,
)
from mypy_asyncres.resources.predicate import ResourceTypes


def _catalogued(
    fullname: str, node: SymbolNode, owner: TypeInfo | MypyFile | None, types: ResourceTypes
) -> frozenset[str]:
    """The catalogue's owning parameters of the callee, or of what it overrides: a
    subclass's constructor (`class Session(ClientSession)`), an event loop's
    `create_server` (uvloop's `Loop` overrides `AbstractEventLoop`'s)."""
    found = types.catalogue.owning(fullname)
    if found or not isinstance(owner, TypeInfo):
        return found
    # A class stands for its `__init__`, which `owner` (or a base) defines.
    member = "" if node.name == "__init__" else fullname.rpartition(".")[2]
    for base in owner.mro:
        found = types.catalogue.owning(f"{base.fullname}.{member}" if member else base.fullname)
        if found:
            return found
    return frozenset()



_T = TypeVar("_T")



def _body_fact(
    node: SymbolNode,
    owner: TypeInfo | MypyFile | None,
    checker: TypeChecker,
    kept: Callable[[TypeInfo, str], list[_T]],
    read: Callable[[FuncDef], list[_T]],
) -> list[_T]:
    """A fact of the callee's body (forwarding.py): a method's as its class keeps it, a
    module-level function's read from its body when it is in the module being checked."""
    if isinstance(node, OverloadedFuncDef):
        return []
    func = node.func if isinstance(node, Decorator) else node
    if not isinstance(func, FuncDef):
        return []
    if isinstance(owner, TypeInfo):
        return kept(owner, func.name)
    if owner is checker.tree and func.body.body:
        return read(func)
    return []



def forwarded_parameters(node: SymbolNode, owner: TypeInfo | MypyFile | None, checker: TypeChecker) -> list[Forward]:
    """What a factory forwards of its parameters to the calls it returns."""
    return _body_fact(node, owner, checker, method_forwards, forwards_of)



def entered_by_callee(node: SymbolNode, owner: TypeInfo | MypyFile | None, checker: TypeChecker) -> list[str]:
    """The parameters the callee enters on every path."""
    return _body_fact(node, owner, checker, method_enters, entered_parameters)


def owning_parameters(
    fullname: str, node: SymbolNode, owner: TypeInfo | MypyFile | None, types: ResourceTypes
) -> frozenset[str]:
    """The declared, catalogued and stored-and-released owning parameters of a callee (a
    class stands for its `__init__`)."""
    owning = _catalogued(fullname, node, owner, types) | declared_owning(node, owner)
    if isinstance(owner, TypeInfo):
        owning |= inferred_owning(owner, node.name)
    return owning
