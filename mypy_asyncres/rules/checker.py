"""The call check, run in the hooks of resource-producing callees: the resource a call
produces, where it goes, and the findings of the rules (not_entered.py, fields.py,
after_exit.py), named and reported once there is one."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from mypy.checker import TypeChecker
from mypy.messages import format_type
from mypy.nodes import (
    CallExpr,
    MypyFile,
    Statement,
    TypeInfo,
)
from mypy.plugin import FunctionContext, MethodContext
from mypy.subtypes import find_member
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    TupleType,
    Type,
    TypeOfAny,
    TypeVarType,
    get_proper_type,
)

from mypy_asyncres.cache.daemon import record_owner_dependencies, records_dependencies
from mypy_asyncres.facts.owner_classes import releases
from mypy_asyncres.facts.shared_getters import lends_shared
from mypy_asyncres.mypy_internals import checking_pass
from mypy_asyncres.output import errors, stats
from mypy_asyncres.output.report import Finding, report
from mypy_asyncres.resources.predicate import Producer, ResourceTypes
from mypy_asyncres.rules.after_exit import block_end, misuses
from mypy_asyncres.rules.fields import stored_field
from mypy_asyncres.rules.handoff import passed_where_unknown, takes_ownership
from mypy_asyncres.rules.not_entered import ENTERED, judge
from mypy_asyncres.sites.index import SiteIndex
from mypy_asyncres.sites.model import Kind, Site, describe, passes_true
from mypy_asyncres.typeops import (
    await_result,
    enterable_or_unknown,
    is_coroutine,
    release_call,
    supports_enter,
)


@dataclass(frozen=True)
class Produced:
    """The resource a call yields to its site, and whether it can be entered at all."""

    resource: Type
    enterable: bool = True
    member: int = -1  # the resource is this member of a returned tuple
    members: int = 0  # ... of so many
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
                entered_instead = isinstance(proper_ret, Instance) and supports_enter(proper_ret, "__aenter__")
                return replace(self._found(found), awaited_instead=entered_instead)
            member = self._tuple_member(result)
            if member is not None:
                return member
            if producer.always and is_coroutine(ret):
                # A marked or catalogued `async def` factory: what it gives must be
                # released; entered if it can be (`await asyncpg.connect()` cannot).
                return Produced(result, enterable=enterable_or_unknown(result))
            proper_ret = get_proper_type(ret)
            is_async_cm = isinstance(proper_ret, Instance) and supports_enter(proper_ret, "__aenter__")
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
        if result is not None and is_coroutine(ret):
            # The coroutine of an `async def` factory, not awaited here: it escapes with
            # the resource it will give (`asyncio.create_task(connect())`).
            found = self.types.resource_in(result)
            if found is not None:
                return self._found(found)
            if producer.always:
                return Produced(result, enterable=enterable_or_unknown(result))
        if producer.always:
            return Produced(ret, enterable=enterable_or_unknown(ret))
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
            at = (id(misuse.node), checking_pass(checker))
            report(checker, finding, misuse.node, at, self.sites.reported, overloaded=False)

    def _tuple_member(self, typ: Type) -> Produced | None:
        """`-> tuple[Lease, int]`: the first member that is a resource."""
        proper = get_proper_type(typ)
        if not isinstance(proper, TupleType) or proper.partial_fallback.type.fullname != "builtins.tuple":
            return None  # (a NamedTuple's members are read by name, not followed)
        for i, item in enumerate(proper.items):
            found = self.types.resource_in(item)
            if found is not None:
                return replace(self._found(found), member=i, members=len(proper.items))
        return None

    def _found(self, resource: Instance) -> Produced:
        """A resource type found in what the call gives; one that cannot be entered
        (asyncio's `StreamWriter`, an owner class under `owners_are_resources`) must be
        closed in a `finally`."""
        if not enterable_or_unknown(resource):
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
        if required and not passes_true(call, required):
            return  # `client.send(request)` without `stream=True` reads the response
        if producer.async_def and isinstance(get_proper_type(ret), AnyType):
            any_type = AnyType(TypeOfAny.implementation_artifact)
            ret = checker.named_generic_type("typing.Coroutine", [any_type, any_type, any_type])
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
            site, found = _kept_field(site, checker)
            if found is not None:
                owner, attribute = found
                if owner is None:
                    return  # kept in an object mypy cannot type: its owner is not known
                field = owner, attribute
                if records_dependencies(checker.options):
                    record_owner_dependencies(checker, owner)
        exit_releases = self.types.exit_releases(resource, producer.creates or producer.fullname)
        if site.kind is Kind.WITH and site.statement is not None and exit_releases:
            self._check_after_exit(checker, site, resource)
        # Most checked calls are fine: name the resource (format_type is not cheap) only
        # for a finding.
        enterable = produced.enterable
        if producer.enterable is not None and isinstance(get_proper_type(resource), AnyType):
            enterable = producer.enterable  # a factory known from its body: as its creation is declared
        awaited_here = entry.awaited is not None
        verdict = judge(
            site, resource, self.types, "", exit_releases=exit_releases, enterable=enterable, field=field,
            awaited=awaited_here,
        )
        if verdict is None:
            if stats.enabled:
                outcome = stats.ENTERED if site.kind in ENTERED else stats.HANDED_OFF
                stats.record(checker.path, call.line, call.column, outcome)
            return
        if lends_shared(call, checker):
            return  # `get_executor()` hands out what a global keeps: judged where it is made
        name = _resource_name(resource, call, producer, checker)
        finding = judge(
            site, resource, self.types, name, exit_releases=exit_releases, enterable=enterable, field=field,
            awaited=awaited_here,
        )
        if finding is None:
            return
        finding = _fitting_note(finding, site, call, produced, awaited_here)
        if stats.enabled:
            stats.record(checker.path, call.line, call.column, stats.REPORTED)
        # Keyed by the call in the source: copies of a body (constrained type variables)
        # check their own copy of the call, and report once for it.
        key = (id(entry.call), checking_pass(checker))
        report(checker, finding, call, key, self.sites.reported, overloaded=producer.overloaded)


def _kept_field(site: Site, checker: TypeChecker) -> tuple[Site, tuple[TypeInfo | None, str] | None]:
    """The class and attribute a stored value is kept in (with the site that names it);
    of a chained assignment's targets, one whose class releases it, if any (else the
    first)."""
    found = stored_field(site, checker)
    if not site.also or found is None or found[0] is None or releases(found[0], found[1]):
        return site, found
    for other in site.also:
        other_site = replace(site, target=other, detail=describe(other), also=None)
        kept = stored_field(other_site, checker)
        if kept is None or kept[0] is None or releases(kept[0], kept[1]):
            return other_site, kept
    return site, found


_PRIVATE_NAME = re.compile(r'(?:^|[\["\s,.])_[A-Za-z]')


def _resource_name(resource: Type, call: CallExpr, producer: Producer, checker: TypeChecker) -> str:
    """The resource as messages name it: its type (`"ClientSession"`), or the call the user
    wrote (`"open(...)"`) when mypy infers `Any` or a type spelled with private names
    (`TextIOWrapper[_WrappedBuffer]`), or when the callee is a factory known from its body
    (its declared type, if any, is not what makes it a resource)."""
    if not producer.only_in and not isinstance(get_proper_type(resource), AnyType):
        name = format_type(resource, checker.options)
        if not _PRIVATE_NAME.search(name):
            return name
    return f'"{describe(call.callee) or producer.fullname.rpartition(".")[2]}(...)"'


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
    # In a plain `def`, an awaited call is run by `loop.run_until_complete(...)`, and there
    # is no `async with`.
    in_def = site.function is not None and site.function.is_plain_def
    in_sync = statement == "async with" and in_def
    if (not produced.enterable or in_sync) and finding.note is None and site.kind in (Kind.DISCARDED, Kind.CHAINED):
        names = ["_"] * produced.members or ["x"]
        names[max(produced.member, 0)] = "x"  # `_, x = await asyncio.open_connection(...)`
        if awaited and in_def:
            value = f"loop.run_until_complete({written})"
        else:
            value = f"{'await ' if awaited else ''}{written}"
        release = release_call(produced.resource, "x", awaited and not in_def)
        return replace(finding, note=errors.bind_and_release_note(f"{', '.join(names)} = {value}", release))
    if awaited and not produced.awaited_instead:
        written = f"await {written}"  # `async with await asyncio.start_server(...):`
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


