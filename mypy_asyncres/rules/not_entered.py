"""The decision table of `resource-not-entered` and its family: given where a resource
goes (its site), the finding, if any."""

from __future__ import annotations

from mypy.nodes import TypeInfo
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    Type,
    TypeOfAny,
    UnionType,
    get_proper_type,
)

from mypy_asyncres.names import (
    CONSUMING_METHODS,
    CONTEXT_DECORATORS,
    ENTER_METHODS,
    LAZY_CONTEXT_MANAGERS,
    OWNING_CALLEES,
    RELEASE_CALLS,
    SERVED_UNTIL_CANCELLED,
    WAITED_WITHOUT_PIPES,
)
from mypy_asyncres.output import errors
from mypy_asyncres.output.report import Finding
from mypy_asyncres.resources.predicate import ResourceTypes
from mypy_asyncres.rules.fields import judge_field
from mypy_asyncres.sites.model import Function, Kind, Site
from mypy_asyncres.typeops import coroutine_result, release_call, supports_enter

# Sites where the resource is entered or its ownership is taken by checked code.
ENTERED = frozenset({Kind.WITH, Kind.STACK, Kind.BOUND_THEN_WITH, Kind.BOUND_THEN_STACK})


_RETURNED = frozenset({Kind.RETURNED, Kind.BOUND_THEN_RETURNED})


# In __enter__ / __aenter__, what is neither kept nor released (nor handed on).
_LOST_IN_ENTER = frozenset(
    {Kind.BOUND, Kind.DISCARDED, Kind.BOUND_THEN_NARROW_GUARD, Kind.STORED, Kind.USED_BEFORE_HANDOFF}
)


# Sites that need nothing more: the await expression has its own site; released before
# anything can raise; never meant to run.
_QUIET = frozenset({Kind.AWAITED, Kind.BOUND_THEN_RELEASED, Kind.TYPE_CHECK})


def _statement(resource: Type, site: Site) -> str:
    """`async with` or `with`, by what the resource supports (and where it is)."""
    proper = get_proper_type(resource)
    in_async = site.function is not None and site.function.node.is_coroutine
    if isinstance(proper, Instance):
        has_async = proper.type.get("__aenter__") is not None
        has_sync = supports_enter(proper, "__enter__")
        if has_sync != has_async:
            return "with" if has_sync else "async with"
    # Both, or not known (`Any`): what the enclosing function can write.
    return "async with" if in_async else "with"


def _declared_return(function: Function) -> Type | None:
    """The declared return type, with `async def`'s coroutine unwrapped; None if unannotated."""
    sig = function.node.type
    if not isinstance(sig, CallableType) or sig.implicit:
        return None
    ret = get_proper_type(sig.ret_type)
    if isinstance(ret, AnyType) and ret.type_of_any == TypeOfAny.unannotated:
        return None  # parameters annotated, the return not: as unannotated for the caller
    result = coroutine_result(ret) if function.node.is_coroutine else None
    return result if result is not None else sig.ret_type


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


def _holds_nothing_until_entered(resource: Type) -> bool:
    """A `@contextmanager` / `@asynccontextmanager` call: its generator starts on entry."""
    proper = get_proper_type(resource)
    return isinstance(proper, Instance) and any(base.fullname in LAZY_CONTEXT_MANAGERS for base in proper.type.mro)


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


# A resource that cannot be entered needs nothing more here: the await has its own site,
# or it is released in a `finally` or at once.
_HANDLED_BEFORE_CLOSE = (Kind.AWAITED, Kind.BOUND_THEN_FINALLY, Kind.BOUND_THEN_RELEASED)


def _judge_close_only(
    site: Site, resource: Type, name: str, types: ResourceTypes, field: tuple[TypeInfo, str] | None, awaited: bool
) -> Finding | None:
    """A resource that cannot be entered (`await asyncpg.connect()`): the `finally` of the
    `try` right after it is the one correct place to release it."""
    kind = site.kind
    if kind in ENTERED or kind in _RETURNED or kind in _HANDLED_BEFORE_CLOSE:
        # Entering it is mypy's own error; returned, it is the caller's, which cannot
        # declare it as a resource: quiet.
        return None
    if site.function is not None and site.function.is_enter_method and kind not in _LOST_IN_ENTER:
        return None
    if field is not None:
        return judge_field(site, *field, name, "with", types, resource, awaited)
    if kind is Kind.BOUND and site.function is None:
        return Finding(errors.RESOURCE_GLOBAL, errors.kept_for_the_process(name, site.detail), errors.GLOBAL_CLOSE_NOTE)
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
    note = None  # (discarded or used at once: the checker's note names the call to bind)
    if kind is Kind.BOUND:
        note = errors.release_in_finally_note(release_call(resource, site.detail, awaited))
    return Finding(errors.RESOURCE_NOT_ENTERED, errors.not_closed(name, _how(site)), note)


def judge(
    site: Site,
    resource: Type,
    types: ResourceTypes,
    name: str,
    *,
    exit_releases: bool,
    enterable: bool = True,
    field: tuple[TypeInfo, str] | None = None,
    awaited: bool = False,
) -> Finding | None:
    """The finding for a resource (named `name` in messages) that goes to `site`, if any.
    field: for a STORED site, the class and attribute it is kept in."""
    if not enterable:
        return _judge_close_only(site, resource, name, types, field, awaited)
    kind = site.kind
    function = site.function
    statement = _statement(resource, site)
    if kind in ENTERED:
        if exit_releases:
            return None
        return Finding(errors.RESOURCE_NEEDS_CLOSING, errors.needs_closing(name, statement))
    if kind in _QUIET or (kind is Kind.PASSED and site.callee in OWNING_CALLEES):
        return None
    if kind is Kind.CHAINED and (
        site.detail in RELEASE_CALLS
        or site.detail in CONSUMING_METHODS
        or site.detail in (WAITED_WITHOUT_PIPES, SERVED_UNTIL_CANCELLED)
    ):
        return None  # `open(p, "a").close()`, `Popen(...).communicate()`: released at once
    if kind is Kind.DECORATOR and _is_context_decorator(resource):
        return None  # `@timer()`: a ContextDecorator enters itself around every call
    if function is not None and function.is_enter_method and kind not in _LOST_IN_ENTER:
        # Created by the owner's __enter__/__aenter__ and returned, stored or handed on:
        # its exit releases it (a stored one is judged as a field below).
        return None
    if field is not None:
        return judge_field(site, *field, name, statement, types, resource, awaited)
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
    if kind is Kind.BOUND and site.entered_later and _holds_nothing_until_entered(resource):
        # `ctx = capture()`, a few statements, then `with ctx:`: a generator runs
        # nothing before it is entered, so nothing is lost in between.
        return None
    if kind is Kind.BOUND and function is None:
        # A module global or a class attribute: it lives as long as the process.
        return Finding(
            errors.RESOURCE_GLOBAL, errors.kept_for_the_process(name, site.detail), errors.global_note(statement)
        )
    if not exit_releases:
        statement = f"{statement} {errors.closing_wrapper(statement)}(...)"
    if kind in _RETURNED and _hands_ownership_out(function, types, resource):
        return None
    if kind is Kind.CHAINED and site.detail in ENTER_METHODS:
        # `await session.get(url).__aenter__()`: entered by hand; its exit is called by hand.
        return Finding(errors.RESOURCE_MANUAL_CLOSE, errors.entered_by_hand(name, statement, site.detail))
    if kind is Kind.BOUND_THEN_FINALLY or kind is Kind.BOUND_THEN_CALLBACK:
        if function is not None and function.is_context_manager_body:
            return None  # `r = Res(); try: yield r; finally: r.close()` is the generator's own exit
        if statement == "async with" and function is not None and function.is_plain_def:
            return None  # `server = loop.run_until_complete(...)` in sync code: a `finally` is the way
        manual = (
            errors.released_by_callback(name, statement, site.detail)
            if kind is Kind.BOUND_THEN_CALLBACK
            else errors.manual_close(name, statement, site.detail)
        )
        return Finding(errors.RESOURCE_MANUAL_CLOSE, manual, errors.use_statement_note(statement, site.detail))
    note = None
    if kind is Kind.BOUND and site.detail:
        note = errors.use_statement_note(statement, site.detail)
        if statement.startswith("async with") and function is not None and function.is_plain_def:
            # `server = loop.run_until_complete(start_server(...))`: no `async with` in a
            # `def`, but a sync release in a `finally` (none for an async-only resource).
            release = release_call(resource, site.detail, False)
            if not release.startswith("await "):
                note = errors.release_in_finally_note(release)
    return Finding(errors.RESOURCE_NOT_ENTERED, errors.not_entered(name, statement, _how(site)), note)
