"""The verdict: given a call that produced a resource and where it sits, report or not."""

from __future__ import annotations

from dataclasses import dataclass

from mypy.checker import TypeChecker
from mypy.errorcodes import ErrorCode
from mypy.messages import format_type
from mypy.nodes import CallExpr, Decorator
from mypy.plugin import FunctionContext, MethodContext
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    NoneType,
    Type,
    UninhabitedType,
    get_proper_type,
)

from mypy_asyncres import errors
from mypy_asyncres.names import CONTEXT_DECORATORS, OWNING_CALLEES
from mypy_asyncres.resources import Producer, ResourceTypes, await_result
from mypy_asyncres.sites import Function, Kind, Site, SiteIndex, describe

# Sites where the resource is entered or its ownership is taken by checked code.
_ENTERED = frozenset({Kind.WITH, Kind.STACK, Kind.BOUND_THEN_WITH, Kind.BOUND_THEN_STACK})
_RETURNED = frozenset({Kind.RETURNED, Kind.BOUND_THEN_RETURNED})


@dataclass(frozen=True)
class Finding:
    code: ErrorCode
    message: str
    note: str | None = None


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
    if function.node.is_coroutine and isinstance(ret, Instance) and len(ret.args) == 3:
        if ret.type.fullname == "typing.Coroutine":
            return ret.args[2]
    return sig.ret_type


def _hands_ownership_out(function: Function | None, types: ResourceTypes) -> bool:
    """Whether returning a resource from this function passes it to a checked caller."""
    if function is None:
        return False
    if function.is_lambda or function.is_marked:
        # A lambda's caller is not known to the checker; a marked factory's callers are checked.
        return True
    declared = _declared_return(function)
    if declared is None:
        # No annotation: the caller cannot be checked; quiet (see README, "Decisions").
        return True
    return types.declares_resource(declared, enter_protocols=True)


def _is_context_decorator(resource: Type) -> bool:
    proper = get_proper_type(resource)
    return isinstance(proper, Instance) and any(
        base.fullname in CONTEXT_DECORATORS for base in proper.type.mro
    )


def judge(site: Site, resource: Type, types: ResourceTypes, name: str, released_by_exit: bool) -> Finding | None:
    """The finding for a resource (named `name` in messages) that goes to `site`, if any."""
    kind = site.kind
    function = site.function
    statement = _statement(resource, site)
    if kind in _ENTERED:
        if released_by_exit:
            return None
        return Finding(errors.RESOURCE_NEEDS_CLOSING, errors.needs_closing(name, statement))
    if kind is Kind.AWAITED or (kind is Kind.PASSED and site.callee in OWNING_CALLEES):
        return None
    if kind is Kind.DECORATOR and _is_context_decorator(resource):
        return None  # `@timer()`: a ContextDecorator enters itself around every call
    if function is not None and function.is_enter_method:
        return None  # created by the owner's __enter__/__aenter__: its __exit__ releases it
    if not released_by_exit:
        statement = f"{statement} contextlib.closing(...)"
    if kind in _RETURNED:
        if _hands_ownership_out(function, types):
            return None
        how = errors.returned_from(function.name if function else "")
    elif kind is Kind.BOUND_THEN_FINALLY:
        if function is not None and function.is_context_manager_body:
            return None  # `r = Res(); try: yield r; finally: r.close()` is the generator's own exit
        return Finding(
            errors.RESOURCE_MANUAL_CLOSE,
            errors.manual_close(name, statement, site.detail),
            errors.use_statement_note(statement, site.detail),
        )
    elif kind is Kind.BOUND:
        note = errors.use_statement_note(statement, site.detail) if site.detail else None
        return Finding(
            errors.RESOURCE_NOT_ENTERED,
            errors.not_entered(name, statement, errors.bound_to(site.detail)),
            note,
        )
    else:
        how = {
            Kind.STORED: errors.stored_in(site.detail),
            Kind.DISCARDED: errors.DISCARDED,
            Kind.PASSED: errors.passed_to(site.detail),
            Kind.CONTAINER: errors.IN_CONTAINER,
            Kind.CHAINED: errors.used_directly(site.detail),
            Kind.YIELDED: errors.YIELDED,
            Kind.DECORATOR: errors.AS_DECORATOR,
        }.get(kind, errors.IN_EXPRESSION)
    return Finding(errors.RESOURCE_NOT_ENTERED, errors.not_entered(name, statement, how))


class CallChecker:
    """Runs in the hooks of resource-producing callees."""

    def __init__(self, types: ResourceTypes) -> None:
        self.types = types
        self.sites = SiteIndex()

    def produced(self, producer: Producer, ret: Type, awaited: bool) -> Type | None:
        """The resource this call yields to its site (the awaited result if awaited)."""
        if awaited:
            result = await_result(ret)
            if result is not None:
                found = self.types.resource_in(result)
                if found is not None:
                    return found
                if producer.always and _is_coroutine(ret):
                    return result  # a marked `async def` factory
                return None  # awaiting consumes the awaitable
        found = self.types.resource_in(ret)
        if found is not None:
            return found
        if producer.always:
            result = await_result(ret) if _is_coroutine(ret) else None
            return result if result is not None else ret
        return None

    def check(self, ctx: FunctionContext | MethodContext, producer: Producer, ret: Type) -> None:
        call = ctx.context
        if not isinstance(call, CallExpr):
            return
        checker = ctx.api
        assert isinstance(checker, TypeChecker)
        entry = self.sites.lookup(checker.tree, call)
        if entry is None:
            return
        awaited = entry.awaited is not None
        resource = self.produced(producer, ret, awaited)
        if resource is None:
            return
        site = entry.awaited if entry.awaited is not None and await_result(ret) is not None else entry.site
        released = self.types.released_by_exit(resource, producer.fullname)
        if isinstance(get_proper_type(resource), AnyType):
            name = f'"{describe(call.callee) or producer.fullname.rpartition(".")[2]}(...)"'
        else:
            name = format_type(resource, checker.options)
        finding = judge(site, resource, self.types, name, released)
        if finding is None:
            return
        report(checker, finding, call, self.sites.reported)


def report(checker: TypeChecker, finding: Finding, context: CallExpr, reported: set[tuple[int, int]]) -> bool:
    """Report a finding without disturbing mypy's speculative checks.

    mypy checks an overloaded call against each item with errors filtered and takes an
    item whose attempt raised no error: an error of ours inside an attempt would reject
    the right item and change the inferred type. So an attempt that already failed
    reports nothing, and the rest report past the error watchers (mypy removes the
    identical repeats of one line).
    """
    errors = checker.msg.errors
    watchers = errors._watchers
    if watchers and watchers[-1].has_new_errors():
        return False  # this overload item (or inference attempt) does not apply
    key = (id(context), checker.pass_num)
    if key in reported:
        return False
    reported.add(key)
    errors._watchers = []
    try:
        checker.fail(finding.message, context, code=finding.code)
        if finding.note is not None:
            checker.note(finding.note, context, code=finding.code)
    finally:
        errors._watchers = watchers
    return True


def _is_coroutine(typ: Type) -> bool:
    proper = get_proper_type(typ)
    return isinstance(proper, Instance) and proper.type.fullname == "typing.Coroutine"

