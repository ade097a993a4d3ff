"""A resource kept in an attribute: the class and field that keep it, and whether that
class releases it (or replaces a value it still holds)."""

from __future__ import annotations

from mypy.checker import TypeChecker
from mypy.nodes import (
    AssignmentStmt,
    AwaitExpr,
    CallExpr,
    Decorator,
    Expression,
    FuncDef,
    IndexExpr,
    MemberExpr,
    NameExpr,
    RefExpr,
    TypeInfo,
)
from mypy.server.subexpr import get_subexpressions
from mypy.types import AnyType, Instance, Type, get_proper_type

from mypy_asyncres.facts.owner_classes import (
    release_methods_of,
    releases,
    unseen_release,
)
from mypy_asyncres.names import EXIT_STACKS, RELEASE_CALLS
from mypy_asyncres.output import errors
from mypy_asyncres.output.report import Finding
from mypy_asyncres.resources.predicate import ResourceTypes
from mypy_asyncres.sites.model import Site
from mypy_asyncres.sites.releases import guards_field
from mypy_asyncres.sites.statements import expressions_of, mentions_target, statements_in
from mypy_asyncres.typeops import declared_type, has_enter_and_exit, release_call


def stored_field(site: Site, checker: TypeChecker) -> tuple[TypeInfo | None, str] | None:
    """The class and attribute a STORED site keeps the resource in (`obj.attr`,
    `obj.attr[...]`, `self.attr`): the class is the object's type, None when mypy types
    the object as `Any` (an unannotated `self` of a nested function)."""
    target = site.target
    if isinstance(target, IndexExpr):
        target = target.base
    if not isinstance(target, MemberExpr):
        return None
    receiver = target.expr
    function = site.function
    if (
        function is not None
        and isinstance(function.node, FuncDef)
        and function.node.info
        and not function.node.is_static
        and function.node.arguments
        and isinstance(receiver, NameExpr)
        and receiver.name == function.node.arguments[0].variable.name
    ):
        return function.node.info, target.name
    # (the statement that stores it may come later than the call: `coro = start()`, then
    # `state.server = await coro`, whose receiver mypy has not typed yet)
    typ = get_proper_type(checker.lookup_type_or_none(receiver) or declared_type(receiver))
    if isinstance(typ, Instance):
        if typ.type.get(target.name) is None and _sets_attributes_itself(typ.type):
            return None, target.name  # a dynamic container (`__setattr__`): no field of a class
        return typ.type, target.name
    if isinstance(typ, AnyType):
        return None, target.name
    return None


def _sets_attributes_itself(info: TypeInfo) -> bool:
    """Whether the class (or a base it has, `object` apart) defines `__setattr__` and
    `__getattr__`: it keeps what is set on it as it likes (aioftp's `Connection` puts it
    in a dict of futures). (`SimpleNamespace` has no `__getattr__`: its attributes are
    plain ones.)"""
    return all(_defined_below_object(info, name) for name in ("__setattr__", "__getattr__"))


def _defined_below_object(info: TypeInfo, name: str) -> bool:
    holder = info.get_containing_type_info(name)
    return holder is not None and holder.fullname != "builtins.object"


def judge_field(
    site: Site,
    owner: TypeInfo,
    attribute: str,
    name: str,
    statement: str,
    types: ResourceTypes,
    resource: Type | None = None,
    awaited: bool = False,
) -> Finding | None:
    """A resource kept in an attribute of the object: its class must release it."""
    if releases(owner, attribute):
        replaces = site.levels is not None and _replaces_held_value(site, owner, attribute)
        if replaces and not guards_field(site.detail, site.stored_value, site.levels or []):
            return Finding(
                errors.RESOURCE_NOT_RELEASED,
                errors.replaces_unreleased(name, site.detail),
                errors.release_old_value_note(release_call(resource, site.detail, awaited, replacing=True)),
            )
        in_enter = site.function is not None and site.function.is_enter_method
        if has_enter_and_exit(owner) and not types.is_resource_class(owner) and not in_enter:
            # An owner that can be entered: its own creations could be checked.
            statement = "async with" if owner.get("__aenter__") is not None else "with"
            note = errors.mark_owner_note(owner.name, statement)
            return Finding(errors.RESOURCE_OWNER_HINT, "", note, once_per=owner.fullname)
        return None
    if unseen_release(owner, types.owner_release_methods, types.catalogue.modules()):
        return None  # released, perhaps, where the plugin cannot read (a stub's method)
    target = site.detail
    methods = release_methods_of(owner, types.owner_release_methods)
    if methods:
        return Finding(errors.RESOURCE_NOT_RELEASED, errors.not_released(name, target, methods))
    return Finding(
        errors.RESOURCE_NOT_RELEASED,
        errors.no_release_method(name, target, owner.name),
        errors.release_in_note(owner.name, target, statement),
    )


# Method names that say they make again what the object already holds.
_RECREATING = ("reconnect", "reopen", "restart", "renew", "recreate")


# Methods that set an object up: what they store replaces nothing.
_SETUP_METHODS = frozenset({"__init__", "__post_init__", "__new__", "__enter__", "__aenter__", "setUp", "asyncSetUp"})


def _replaces_held_value(site: Site, owner: TypeInfo, attribute: str) -> bool:
    """Whether a method other than the set-up ones stores a new resource where one may
    already be held: the class's `__init__` keeps one there, or the method re-creates
    it (`reconnect`, `reopen`, `restart`)."""
    function = site.function
    if function is None or function.name in _SETUP_METHODS:
        return False
    if function.name.lstrip("_").startswith(_RECREATING):
        return True
    if not (isinstance(function.node, FuncDef) and function.node.info is owner):
        # Read only from the owner's own methods, whose class is in this module: a class
        # from mypy's cache has no bodies (nor `arguments`), so cold and warm would differ.
        return False
    init = owner.names.get("__init__")
    node = init.node if init is not None else None
    if not isinstance(node, FuncDef) or not node.body.body or not node.arguments:
        return False
    self_name = node.arguments[0].variable.name
    body = node.body.body
    for i, stmt in enumerate(body):
        if (
            isinstance(stmt, AssignmentStmt)
            and isinstance(stmt.rvalue, (CallExpr, AwaitExpr))
            and any(
                isinstance(lvalue, MemberExpr)
                and lvalue.name == attribute
                and isinstance(lvalue.expr, NameExpr)
                and lvalue.expr.name == self_name
                for lvalue in stmt.lvalues
            )
        ):
            # An exit stack made empty holds nothing until something is entered into it
            # (here, by the method that replaces it, which is the one that fills it).
            if not _is_empty_exit_stack(stmt.rvalue):
                return True
            text = f"{self_name}.{attribute}"
            later = [e for rest in body[i + 1 :] for e in expressions_of(rest)]
            return any(mentions_target(e, text) for e in later) or _filled_elsewhere(owner, attribute, function.name)
    return False


def _filled_elsewhere(owner: TypeInfo, attribute: str, replacing: str) -> bool:
    """Whether a method other than `replacing` may enter something into `self.<attribute>`."""
    for stmt in owner.defn.defs.body:
        func = stmt.func if isinstance(stmt, Decorator) else stmt
        if not isinstance(func, FuncDef) or func.name == replacing or not func.body.body or not func.arguments:
            continue
        self_name = func.arguments[0].variable.name
        # Any read of the field but a release or a new value may fill it: `stack =
        # self._stack; stack.enter_context(f)`, `self._stack.enter_context(f)`.
        ignored = {
            id(lvalue) for inner in statements_in(func.body.body) if isinstance(inner, AssignmentStmt)
            for lvalue in inner.lvalues
        }
        expressions = get_subexpressions(func.body)
        ignored.update(
            id(e.callee.expr)
            for e in expressions
            if isinstance(e, CallExpr) and isinstance(e.callee, MemberExpr) and e.callee.name in RELEASE_CALLS
        )
        for expr in expressions:
            if (
                isinstance(expr, MemberExpr)
                and expr.name == attribute
                and isinstance(expr.expr, NameExpr)
                and expr.expr.name == self_name
                and id(expr) not in ignored
            ):
                return True
    return False


def _is_empty_exit_stack(value: Expression) -> bool:
    return (
        isinstance(value, CallExpr)
        and not value.args
        and isinstance(value.callee, RefExpr)
        and value.callee.fullname in EXIT_STACKS
    )
