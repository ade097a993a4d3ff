"""The verdict: given a call that produced a resource and where it sits, report or not."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from mypy.checker import TypeChecker
from mypy.errorcodes import ErrorCode
from mypy.messages import format_type
from mypy.nodes import (
    AssignmentStmt,
    Context,
    AwaitExpr,
    CallExpr,
    Decorator,
    FuncDef,
    IndexExpr,
    MemberExpr,
    MypyFile,
    NameExpr,
    Statement,
    TypeInfo,
)
from mypy.plugin import FunctionContext, MethodContext
from mypy.subtypes import find_member
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    NoneType,
    TupleType,
    Type,
    TypeOfAny,
    TypeVarType,
    UninhabitedType,
    UnionType,
    get_proper_type,
)

from mypy_asyncres.output import errors
from mypy_asyncres.output import stats
from mypy_asyncres.names import (
    CONSUMING_METHODS,
    CONTEXT_DECORATORS,
    ENTER_METHODS,
    OWNING_CALLEES,
    RELEASE_METHODS,
    WAITED_WITHOUT_PIPES,
)
from mypy_asyncres.cache.daemon import record_owner_dependencies
from mypy_asyncres.cache.fingerprint import records_dependencies
from mypy_asyncres.rules.after_exit import block_end, misuses
from mypy_asyncres.rules.handoff import passed_where_unknown, takes_ownership
from mypy_asyncres.facts.marked import is_context_manager
from mypy_asyncres.facts.owner_classes import release_methods_of, releases, unseen_release
from mypy_asyncres.resources.predicate import Producer, ResourceTypes, await_result
from mypy_asyncres.sites.index import SiteIndex
from mypy_asyncres.sites.flows import guards_field
from mypy_asyncres.sites.model import Function, Kind, Site, describe

# Sites where the resource is entered or its ownership is taken by checked code.
_ENTERED = frozenset({Kind.WITH, Kind.STACK, Kind.BOUND_THEN_WITH, Kind.BOUND_THEN_STACK})
_RETURNED = frozenset({Kind.RETURNED, Kind.BOUND_THEN_RETURNED})
# In __enter__ / __aenter__, what is neither kept nor released (nor handed on).
_LOST_IN_ENTER = frozenset(
    {Kind.BOUND, Kind.DISCARDED, Kind.BOUND_THEN_NARROW_GUARD, Kind.STORED, Kind.USED_BEFORE_HANDOFF}
)
# Sites that need nothing more: the await expression has its own site; released before
# anything can raise; never meant to run.
_QUIET = frozenset({Kind.AWAITED, Kind.BOUND_THEN_RELEASED, Kind.TYPE_CHECK})


@dataclass(frozen=True)
class Finding:
    code: ErrorCode
    message: str  # empty: a note alone
    note: str | None = None
    once_per: str = ""  # a note given once per this key (a class), not at every site


def _statement(resource: Type, site: Site) -> str:
    """`async with` or `with`, by what the resource supports (and where it is)."""
    proper = get_proper_type(resource)
    in_async = site.function is not None and site.function.node.is_coroutine
    if isinstance(proper, Instance):
        has_async = proper.type.get("__aenter__") is not None
        has_sync = _enters(proper, "__enter__")
        if has_sync != has_async:
            return "with" if has_sync else "async with"
    # Both, or not known (`Any`): what the enclosing function can write.
    return "async with" if in_async else "with"


def _enters(instance: Instance, method: str) -> bool:
    """Whether the class really supports `method`: aiohttp's `ClientSession.__enter__`
    exists only to raise "use async with", declared to return None."""
    sym = instance.type.get(method)
    if sym is None:
        return False
    node = sym.node
    sig = node.func.type if isinstance(node, Decorator) else getattr(node, "type", None)
    if isinstance(sig, CallableType) and isinstance(get_proper_type(sig.ret_type), (NoneType, UninhabitedType)):
        return instance.type.get("__aenter__") is None  # `__enter__ -> None` alone is still real
    return True


def _declared_return(function: Function) -> Type | None:
    """The declared return type, with `async def`'s coroutine unwrapped; None if unannotated."""
    sig = function.node.type
    if not isinstance(sig, CallableType) or sig.implicit:
        return None
    ret = get_proper_type(sig.ret_type)
    if isinstance(ret, AnyType) and ret.type_of_any == TypeOfAny.unannotated:
        return None  # parameters annotated, the return not: as unannotated for the caller
    if function.node.is_coroutine and isinstance(ret, Instance) and len(ret.args) == 3:
        if ret.type.fullname == "typing.Coroutine":
            return ret.args[2]
    return sig.ret_type


def _hands_ownership_out(function: Function | None, types: ResourceTypes, resource: Type | None = None) -> bool:
    """Whether returning a resource from this function passes it to a checked caller.

    Declared as a resource (or `AbstractContextManager`): the caller's call is checked.
    Unannotated, or declared as a context manager that is not a resource (`IO[str]`):
    the caller is told nothing or only "this can be entered"; quiet, unless the strict
    setting (`owners_are_resources`) asks for every resource to be tracked to its end.
    """
    if function is None:
        return False
    if function.is_lambda or function.is_marked or function.name == "__await__":
        # A lambda's caller is not known to the checker; a marked factory's callers are
        # checked, and so is the `await` that a generator `__await__` returns to.
        return True
    declared = _declared_return(function)
    if declared is None:
        return not types.strict
    if types.declares_resource(declared, enter_protocols=True):
        return True
    if not types.strict and _declares_base_of(declared, resource):
        # `-> _socket.socket | None` for a `socket.socket`: the caller is told less than
        # it gets, as for `-> IO[str]`.
        return True
    return not types.strict and types.declares_resource(declared, enter_protocols=True, structural=True)


def _declares_base_of(declared: Type, resource: Type | None) -> bool:
    """Whether a declared type (or a member of a declared union) is a base class of the
    resource's class."""
    proper_resource = get_proper_type(resource) if resource is not None else None
    if not isinstance(proper_resource, Instance):
        return False
    proper = get_proper_type(declared)
    items = proper.items if isinstance(proper, UnionType) else [proper]
    return any(
        isinstance(item, Instance) and item.type.fullname != "builtins.object"
        and proper_resource.type.has_base(item.type.fullname)
        for item in items
    )


def _is_context_decorator(resource: Type) -> bool:
    proper = get_proper_type(resource)
    return isinstance(proper, Instance) and any(
        base.fullname in CONTEXT_DECORATORS for base in proper.type.mro
    )


def _how(site: Site) -> str:
    """How the value escapes, completing "..., but it is <how>"."""
    kind = site.kind
    if kind is Kind.BOUND:
        return errors.bound_to(site.detail)
    if kind is Kind.RETURNED or kind is Kind.BOUND_THEN_RETURNED:
        return errors.returned_from(site.function.name if site.function else "")
    return {
        Kind.STORED: errors.stored_in(site.detail),
        Kind.DISCARDED: errors.DISCARDED,
        Kind.PASSED: errors.passed_to(site.detail),
        Kind.CONTAINER: errors.IN_CONTAINER,
        Kind.CHAINED: errors.used_directly(site.detail),
        Kind.YIELDED: errors.YIELDED,
        Kind.DECORATOR: errors.AS_DECORATOR,
    }.get(kind, errors.IN_EXPRESSION)


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
    typ = get_proper_type(checker.lookup_type_or_none(receiver))
    if isinstance(typ, Instance):
        return typ.type, target.name
    if isinstance(typ, AnyType):
        return None, target.name
    return None


def _judge_field(
    site: Site,
    owner: TypeInfo,
    attribute: str,
    name: str,
    statement: str,
    types: ResourceTypes,
    resource: Type | None = None,
) -> Finding | None:
    """A resource kept in an attribute of the object: its class must release it."""
    if releases(owner, attribute):
        replaces = site.levels is not None and _replaces_held_value(site, owner, attribute)
        if replaces and not guards_field(site.detail, site.stored_value, site.levels or []):
            return Finding(
                errors.RESOURCE_NOT_RELEASED,
                errors.replaces_unreleased(name, site.detail),
                errors.release_old_value_note(_release_call(resource, site.detail)),
            )
        in_enter = site.function is not None and site.function.is_enter_method
        if is_context_manager(owner) and not types.is_resource_class(owner) and not in_enter:
            # An owner that can be entered: its own creations could be checked.
            statement = "async with" if owner.get("__aenter__") is not None else "with"
            note = errors.mark_owner_note(owner.name, statement)
            return Finding(errors.RESOURCE_OWNER_HINT, "", note, once_per=owner.fullname)
        return None
    if unseen_release(owner, types.release_methods, types.catalogue.modules()):
        return None  # released, perhaps, where the plugin cannot read (a stub's method)
    target = site.detail
    methods = release_methods_of(owner, types.release_methods)
    if methods:
        return Finding(errors.RESOURCE_NOT_RELEASED, errors.not_released(name, target, methods))
    return Finding(
        errors.RESOURCE_NOT_RELEASED,
        errors.no_release_method(name, target, owner.name),
        errors.release_in_note(owner.name, target, statement),
    )


def _release_call(resource: Type | None, target: str) -> str:
    """How to release a value of this type: `await self.s.close()`, `self.pool.shutdown()`."""
    proper = get_proper_type(resource) if resource is not None else None
    if isinstance(proper, Instance):
        for method in ("aclose", "close", "shutdown", "terminate", "release"):
            sym = proper.type.get(method)
            if sym is not None and sym.node is not None:
                is_async = isinstance(sym.node, FuncDef) and sym.node.is_coroutine
                return f"{'await ' if is_async else ''}{target}.{method}()"
    return f"{target}.close()"


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
    init = owner.names.get("__init__")
    node = init.node if init is not None else None
    if not isinstance(node, FuncDef) or not node.arguments or not node.body.body:
        return False
    self_name = node.arguments[0].variable.name
    for stmt in node.body.body:
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
            return True
    return False


def _judge_close_only(
    site: Site, name: str, types: ResourceTypes, field: tuple[TypeInfo, str] | None
) -> Finding | None:
    """A resource that cannot be entered (`await asyncpg.connect()`): the `finally` of the
    `try` right after it is the one correct place to release it."""
    kind = site.kind
    if kind in _ENTERED or kind in _RETURNED or kind in (Kind.AWAITED, Kind.BOUND_THEN_FINALLY, Kind.BOUND_THEN_RELEASED):
        # Entering it is mypy's own error; returned, it is the caller's, which cannot
        # declare it as a resource: quiet.
        return None
    if site.function is not None and site.function.is_enter_method and kind not in _LOST_IN_ENTER:
        return None
    if field is not None:
        return _judge_field(site, *field, name, "with", types)
    if kind is Kind.BOUND_THEN_NARROW_GUARD:
        return Finding(
            errors.RESOURCE_NOT_ENTERED,
            errors.narrow_guard(name, site.detail, site.caught, site.cancellable),
            errors.catch_base_exception_note(site.cancellable),
        )
    if kind is Kind.USED_BEFORE_HANDOFF:
        return Finding(
            errors.RESOURCE_NOT_ENTERED,
            errors.used_before_handoff(name, site.detail, site.handed_on),
            errors.guard_uses_note(site.detail),
        )
    note = errors.close_in_finally_note(site.detail) if kind is Kind.BOUND else None
    return Finding(errors.RESOURCE_NOT_ENTERED, errors.not_closed(name, _how(site)), note)


def judge(
    site: Site,
    resource: Type,
    types: ResourceTypes,
    name: str,
    released_by_exit: bool,
    enterable: bool = True,
    field: tuple[TypeInfo, str] | None = None,
) -> Finding | None:
    """The finding for a resource (named `name` in messages) that goes to `site`, if any.
    field: for a STORED site, the class and attribute it is kept in."""
    if not enterable:
        return _judge_close_only(site, name, types, field)
    kind = site.kind
    function = site.function
    statement = _statement(resource, site)
    if kind in _ENTERED:
        if released_by_exit:
            return None
        return Finding(errors.RESOURCE_NEEDS_CLOSING, errors.needs_closing(name, statement))
    if kind in _QUIET or (kind is Kind.PASSED and site.callee in OWNING_CALLEES):
        return None
    if kind is Kind.CHAINED and (
        site.detail in RELEASE_METHODS or site.detail in CONSUMING_METHODS or site.detail == WAITED_WITHOUT_PIPES
    ):
        return None  # `open(p, "a").close()`, `Popen(...).communicate()`: released at once
    if kind is Kind.DECORATOR and _is_context_decorator(resource):
        return None  # `@timer()`: a ContextDecorator enters itself around every call
    if function is not None and function.is_enter_method and kind not in _LOST_IN_ENTER:
        # Created by the owner's __enter__/__aenter__ and returned, stored or handed on:
        # its exit releases it (a stored one is judged as a field below).
        return None
    if field is not None:
        return _judge_field(site, *field, name, statement, types, resource)
    if kind is Kind.BOUND_THEN_NARROW_GUARD:
        fix = (
            errors.catch_base_exception_note(site.cancellable)
            if site.handed_on
            else errors.use_statement_note(statement, site.detail)
        )
        return Finding(
            errors.RESOURCE_NOT_ENTERED, errors.narrow_guard(name, site.detail, site.caught, site.cancellable), fix
        )
    if kind is Kind.USED_BEFORE_HANDOFF:
        return Finding(
            errors.RESOURCE_NOT_ENTERED,
            errors.used_before_handoff(name, site.detail, site.handed_on),
            errors.guard_uses_note(site.detail),
        )
    if kind is Kind.BOUND and function is None:
        # A module global or a class attribute: it lives as long as the process.
        return Finding(
            errors.RESOURCE_GLOBAL, errors.kept_for_the_process(name, site.detail), errors.global_note(statement)
        )
    if not released_by_exit:
        statement = f"{statement} {errors.closing_wrapper(statement)}(...)"
    if kind in _RETURNED and _hands_ownership_out(function, types, resource):
        return None
    if kind is Kind.CHAINED and site.detail in ENTER_METHODS:
        # `await session.get(url).__aenter__()`: entered by hand; its exit is called by hand.
        return Finding(errors.RESOURCE_MANUAL_CLOSE, errors.entered_by_hand(name, statement, site.detail))
    if kind is Kind.BOUND_THEN_FINALLY or kind is Kind.BOUND_THEN_CALLBACK:
        if function is not None and function.is_context_manager_body:
            return None  # `r = Res(); try: yield r; finally: r.close()` is the generator's own exit
        manual = (
            errors.released_by_callback(name, statement, site.detail)
            if kind is Kind.BOUND_THEN_CALLBACK
            else errors.manual_close(name, statement, site.detail)
        )
        return Finding(errors.RESOURCE_MANUAL_CLOSE, manual, errors.use_statement_note(statement, site.detail))
    note = errors.use_statement_note(statement, site.detail) if kind is Kind.BOUND and site.detail else None
    return Finding(errors.RESOURCE_NOT_ENTERED, errors.not_entered(name, statement, _how(site)), note)


@dataclass(frozen=True)
class Produced:
    """The resource a call yields to its site, and whether it can be entered at all."""

    resource: Type
    enterable: bool = True
    member: int = -1  # the resource is this member of a returned tuple
    # `conn = await pool.acquire()`: awaited where it should have been entered.
    awaited_instead: bool = False


class CallChecker:
    """Runs in the hooks of resource-producing callees."""

    def __init__(self, types: ResourceTypes) -> None:
        self.types = types
        self.sites = SiteIndex()
        # The `with` statements of the module being checked whose uses after exit were
        # read (line, column, name).
        self._exits_seen: set[tuple[int, int, str]] = set()
        self._exits_tree: MypyFile | None = None
        self._exits_defs: list[Statement] | None = None

    def produced(self, producer: Producer, ret: Type, awaited: bool) -> Produced | None:
        """The resource this call yields to its site (the awaited result if awaited)."""
        result = await_result(ret)
        if awaited and result is not None:
            found = self.types.resource_in(result)
            if found is not None:
                proper_ret = get_proper_type(ret)
                # `resp = await session.get(url)`: what is awaited is itself to be entered.
                entered_instead = isinstance(proper_ret, Instance) and _enters(proper_ret, "__aenter__")
                return replace(self._found(found), awaited_instead=entered_instead)
            member = self._tuple_member(result)
            if member is not None:
                return member
            if producer.always and _is_coroutine(ret):
                # A marked or catalogued `async def` factory: what it gives must be
                # released; entered if it can be (`await asyncpg.connect()` cannot).
                return Produced(result, enterable=_is_context_manager(result))
            proper_ret = get_proper_type(ret)
            is_async_cm = isinstance(proper_ret, Instance) and _enters(proper_ret, "__aenter__")
            if is_async_cm and (producer.always or self.types.resource_in(ret) is not None):
                # `f = await aiofiles.open(p)`, `conn = await pool.acquire()`: awaited where
                # it should have been entered; what the await gave holds the resource.
                return Produced(result, awaited_instead=True)
            return None  # awaiting consumes the awaitable
        found = self.types.resource_in(ret)
        if found is not None:
            return self._found(found)
        member = self._tuple_member(ret)
        if member is not None:
            return member
        if result is not None and _is_coroutine(ret):
            # The coroutine of an `async def` factory, not awaited here: it escapes with
            # the resource it will give (`asyncio.create_task(connect())`).
            found = self.types.resource_in(result)
            if found is not None:
                return self._found(found)
            if producer.always:
                return Produced(result, enterable=_is_context_manager(result))
        if producer.always:
            return Produced(ret, enterable=_is_context_manager(ret))
        return None

    def _check_after_exit(self, checker: TypeChecker, site: Site, resource: Type) -> None:
        """A `with` item bound to a name: its uses after the exit (after_exit.py)."""
        stmt, levels = site.statement, site.levels
        assert stmt is not None and levels is not None
        tree = checker.tree
        if tree is not self._exits_tree or tree.defs is not self._exits_defs:
            # Another module, or the daemon's new tree of this one.
            self._exits_tree, self._exits_defs, self._exits_seen = tree, tree.defs, set()
        key = (stmt.line, stmt.column, site.detail)
        if key in self._exits_seen:
            return  # (mypy checks an `async with` item several times)
        self._exits_seen.add(key)
        found = misuses(site.detail, stmt, levels)
        if not found or not _enters_as_resource(resource, stmt.is_async, self.types):
            return  # `with TemporaryDirectory() as path:` binds a path, not the resource
        statement = "async with" if stmt.is_async else "with"
        end = block_end(stmt)
        for misuse in found:
            if misuse.kind == "after":
                finding = Finding(
                    errors.RESOURCE_USED_AFTER_EXIT,
                    errors.used_after_exit(site.detail, end, misuse.what),
                    errors.move_use_note(statement),
                )
            elif misuse.kind == "escape":
                finding = Finding(
                    errors.RESOURCE_USED_AFTER_EXIT, errors.escapes_block(site.detail, misuse.what), errors.ESCAPE_NOTE
                )
            else:
                finding = Finding(
                    errors.RESOURCE_USED_AFTER_EXIT,
                    errors.outlives_block(site.detail, misuse.group, end),
                    errors.enter_group_inside_note(statement, site.detail),
                )
            report(checker, finding, misuse.node, (id(misuse.node), checker.pass_num), self.sites.reported, False)

    def _tuple_member(self, typ: Type) -> Produced | None:
        """`-> tuple[Lease, int]`: the first member that is a resource."""
        proper = get_proper_type(typ)
        if not isinstance(proper, TupleType) or proper.partial_fallback.type.fullname != "builtins.tuple":
            return None  # (a NamedTuple's members are read by name, not followed)
        for i, item in enumerate(proper.items):
            found = self.types.resource_in(item)
            if found is not None:
                return replace(self._found(found), member=i)
        return None

    def _found(self, resource: Instance) -> Produced:
        """A resource type found in what the call gives. Only an owner class (a resource
        under `owners_are_resources`) may be one that cannot be entered."""
        if self.types.strict and not _is_context_manager(resource):
            return Produced(resource, enterable=False)
        return Produced(resource)

    def check(self, ctx: FunctionContext | MethodContext, producer: Producer, ret: Type) -> None:
        call = ctx.context
        if not isinstance(call, CallExpr):
            return
        checker = ctx.api
        assert isinstance(checker, TypeChecker)
        entry = self.sites.lookup(checker.tree, call)
        if entry is None:
            return
        required = self.types.catalogue.required_keywords(producer.fullname)
        if required and not _passes_true(call, required):
            return  # `client.send(request)` without `stream=True` reads the response
        awaited = entry.awaited is not None
        produced = self.produced(producer, ret, awaited)
        if produced is None:
            return
        resource = produced.resource
        site = entry.awaited if entry.awaited is not None and await_result(ret) is not None else entry.site
        site = _member_site(site, produced.member)
        field = None
        if site.kind is Kind.PASSED or site.kind is Kind.BOUND_THEN_PASSED:
            if takes_ownership(site, checker, self.types):
                return  # handed to a parameter that releases it
            if not self.types.strict and passed_where_unknown(site, checker):
                return  # an untyped callee (or `Any` parameter): what it does with it is not known
            if site.kind is Kind.BOUND_THEN_PASSED:
                site = replace(site, kind=Kind.BOUND, outer=None, argument="")
        elif site.kind is Kind.STORED:
            found = stored_field(site, checker)
            if found is not None:
                owner, attribute = found
                if owner is None:
                    return  # kept in an object mypy cannot type: its owner is not known
                field = owner, attribute
                if records_dependencies(checker.options):
                    record_owner_dependencies(checker, owner)
        released = self.types.released_by_exit(resource, producer.fullname)
        if site.kind is Kind.WITH and site.statement is not None and released:
            self._check_after_exit(checker, site, resource)
        # Most checked calls are fine: name the resource (format_type is not cheap) only
        # for a finding.
        if judge(site, resource, self.types, "", released, produced.enterable, field) is None:
            if stats.enabled:
                outcome = stats.ENTERED if site.kind in _ENTERED else stats.HANDED_OFF
                stats.record(checker.path, call.line, call.column, outcome)
            return
        name = _resource_name(resource, call, producer, checker)
        finding = judge(site, resource, self.types, name, released, produced.enterable, field)
        if finding is None:
            return
        finding = _fitting_note(finding, site, call, produced, entry.awaited is not None)
        if stats.enabled:
            stats.record(checker.path, call.line, call.column, stats.REPORTED)
        # Keyed by the call in the source: copies of a body (constrained type variables)
        # check their own copy of the call, and report once for it.
        report(checker, finding, call, (id(entry.call), checker.pass_num), self.sites.reported, producer.overloaded)


_PRIVATE_NAME = re.compile(r'(?:^|[\["\s,.])_[A-Za-z]')


def _resource_name(resource: Type, call: CallExpr, producer: Producer, checker: TypeChecker) -> str:
    """The resource as messages name it: its type (`"ClientSession"`), or the call the user
    wrote (`"open(...)"`) when mypy infers `Any` or a type spelled with private names
    (`TextIOWrapper[_WrappedBuffer]`)."""
    if not isinstance(get_proper_type(resource), AnyType):
        name = format_type(resource, checker.options)
        if not _PRIVATE_NAME.search(name):
            return name
    return f'"{describe(call.callee) or producer.fullname.rpartition(".")[2]}(...)"'


def report(
    checker: TypeChecker,
    finding: Finding,
    context: Context,
    key: tuple[int, int],
    reported: set[object],
    overloaded: bool = True,
) -> bool:
    """Report a finding without disturbing mypy's speculative checks.

    mypy checks an overloaded call against each item with errors filtered and takes an
    item whose attempt raised no error: an error of ours inside an attempt would reject
    the right item and change the inferred type. So an attempt that already failed
    reports nothing, and the rest report past the error watchers (mypy removes the
    identical repeats of one line).
    """
    errors = checker.msg.errors
    watchers = errors._watchers
    if overloaded and watchers and watchers[-1].has_new_errors():
        return False  # this overload item does not apply
    # (Not overloaded: the errors are the call's own, `f(wrong_type)`; the call still
    # creates the resource.)
    if key in reported or finding.once_per in reported:
        return False
    reported.add(key)
    if finding.once_per:
        reported.add(finding.once_per)
    errors._watchers = []
    try:
        if finding.message:
            checker.fail(finding.message, context, code=finding.code)
        if finding.note is not None:
            checker.note(finding.note, context, code=finding.code)
    finally:
        errors._watchers = watchers
    return True


def _enters_as_resource(resource: Type, is_async: bool, types: ResourceTypes) -> bool:
    """Whether entering the resource binds a resource (itself, or what a request context
    manager's `__aenter__` gives), not a plain value."""
    proper = get_proper_type(resource)
    if not isinstance(proper, Instance):
        return False
    method = "__aenter__" if is_async else "__enter__"
    if proper.type.get(method) is None:
        return False
    sig = get_proper_type(find_member(method, proper, proper))
    if not isinstance(sig, CallableType):
        return False
    entered: Type = sig.ret_type
    if is_async:
        entered = await_result(entered) or entered
    proper_entered = get_proper_type(entered)
    if isinstance(proper_entered, TypeVarType):
        return True  # `def __enter__(self) -> Self`
    if isinstance(proper_entered, Instance) and proper.type.has_base(proper_entered.type.fullname):
        return True  # itself (`open(p)` gives the file it is)
    return types.resource_in(entered) is not None


def _fitting_note(finding: Finding, site: Site, call: CallExpr, produced: Produced, awaited: bool) -> Finding:
    """The fix that fits the code: drop an `await` that should be an `async with`; enter
    a discarded or chained call."""
    if finding.code is not errors.RESOURCE_NOT_ENTERED:
        return finding
    written = f"{describe(call.callee) or 'f'}(...)"
    if produced.awaited_instead and awaited and site.kind is Kind.BOUND and site.detail:
        return replace(finding, note=errors.drop_await_note(written, site.detail))
    statement = "async with" if finding.message.find('"async with') >= 0 else "with"
    if site.kind is Kind.DISCARDED and finding.note is None:
        return replace(finding, note=errors.enter_discarded_note(statement, written))
    if site.kind is Kind.CHAINED and finding.note is None and site.detail:
        return replace(finding, note=errors.enter_chained_note(statement, written, site.detail))
    return finding


def _member_site(site: Site, member: int) -> Site:
    """Where a tuple's resource member goes: its target when unpacked, the indexed
    expression's site when that member is taken, dropped when another one is."""
    if site.kind is Kind.UNPACKED:
        if member >= 0 and site.items is not None and member < len(site.items):
            return site.items[member]
        return replace(site, kind=Kind.EXPRESSION, items=None)
    if site.kind is Kind.INDEXED:
        if member >= 0 and site.index == member and site.items:
            return site.items[0]
        kind = Kind.DISCARDED if member >= 0 else Kind.EXPRESSION
        return replace(site, kind=kind, items=None)
    return site


def _passes_true(call: CallExpr, keywords: tuple[str, ...]) -> bool:
    return any(
        name in keywords and isinstance(value, NameExpr) and value.fullname == "builtins.True"
        for name, value in zip(call.arg_names, call.args)
    )


def _is_context_manager(typ: Type) -> bool:
    proper = get_proper_type(typ)
    if isinstance(proper, AnyType):
        return True  # not known: the usual advice
    return isinstance(proper, Instance) and (_enters(proper, "__enter__") or _enters(proper, "__aenter__"))


def _is_coroutine(typ: Type) -> bool:
    proper = get_proper_type(typ)
    return isinstance(proper, Instance) and proper.type.fullname == "typing.Coroutine"

