"""The site of a value bound to a name, decided by what the function does with it next:
a `finally` around it that releases it, the statements that follow (entered, returned,
stored, passed on, released at once, guarded by a narrow `except`)."""

from __future__ import annotations

from dataclasses import replace

from mypy.nodes import (
    AssignmentStmt,
    AwaitExpr,
    Block,
    CallExpr,
    Expression,
    IndexExpr,
    MemberExpr,
    NameExpr,
    ReturnStmt,
    Statement,
    TryStmt,
)

from mypy_asyncres.sites.flows import (
    COLLECTION_ADDERS,
    calls_with,
    every_branch_returns,
    handed_on_in,
    handles_its_errors,
    next_use,
    statements_after,
)
from mypy_asyncres.sites.model import Function, Kind, Levels, Site, describe, is_name
from mypy_asyncres.sites.releases import (
    awaits_in,
    guards,
    is_flag,
    narrow_guard,
    rebinds_only_when_unset,
    releases,
    releases_before_leaving,
    releases_now,
    releases_on_the_way_out,
    waits_without_pipes,
)
from mypy_asyncres.sites.statements import ends_flow, uses

# What hands a bound value to other code for good, even after statements that use it.
_HANDED_OUT = frozenset({Kind.BOUND_THEN_RETURNED, Kind.STORED})
_ENTERED_LATER = frozenset({Kind.BOUND_THEN_WITH, Kind.BOUND_THEN_STACK})


def after_binding(
    name: str, value: Expression | None, function: Function | None, levels: Levels, finallies: list[Block]
) -> Site:
    """The site of a value bound to `name`, by what the function does with it next.

    A `try` around it that releases it in `finally` decides. Otherwise the statements
    after the binding are read in order, leaving blocks that end (`if` / `else`
    branches, not loops) for the statement after them, until one hands it on
    (entered, returned, stored, given to an exit stack, released in the `finally`
    of a `try`) or the flow ends another way (another `return`, `raise`, `break`,
    `continue`, a rebinding of the name). Statements in between that only use it
    (`log(s.status)`, `check(s)`) are read past: like Java's resource-leak checker,
    exceptions that such uses may raise are not followed. Passing it as an argument
    is remembered: the first such call decides if nothing else does. Entering it, or
    releasing it in a `finally`, counts only right after the binding.
    """
    if released_in_finally(finallies, name):
        return Site(Kind.BOUND_THEN_FINALLY, name, function)
    passed: Site | None = None
    first = True
    read_past: list[Statement] = []  # statements read past: a use there can raise
    for stmt in statements_after(levels):
        if is_flag(stmt, name) or handles_its_errors(stmt, name):
            continue
        if first:
            awaited = _awaited_next(stmt, name, function)
            if awaited is not None:
                return awaited
        if first and (releases_now(stmt, name) or waits_without_pipes(stmt, name, value)):
            return Site(Kind.BOUND_THEN_RELEASED, name, function)
        if every_branch_returns(stmt, name):
            if any(calls_with(past, name) for past in read_past):
                return Site(Kind.USED_BEFORE_HANDOFF, name, function)
            return Site(Kind.BOUND_THEN_RETURNED, name, function)
        if releases_before_leaving(stmt, name) or rebinds_only_when_unset(stmt, name):
            first = False
            continue
        if isinstance(stmt, TryStmt):
            caught = narrow_guard(stmt, name)
            if caught:
                return Site(
                    Kind.BOUND_THEN_NARROW_GUARD, name, function, caught=caught,
                    cancellable=awaits_in(stmt), handed_on=_handed_on_after(stmt, name, levels),
                )
        if isinstance(stmt, TryStmt) and guards(stmt, name):
            # `try: ... except BaseException: s.close(); raise`: released on errors;
            # handed on inside, or decided by what follows.
            handed = handed_on_in(stmt, name)
            if handed is not None:
                kind, target = handed
                return Site(kind, describe(target) if target is not None else name, function, target=target)
            if releases_on_the_way_out(stmt.body.body, name):
                # `try: ...; return await proc.wait()` / `except BaseException: proc.kill(); ...`
                return Site(Kind.BOUND_THEN_RELEASED, name, function)
            first = False
            continue
        chained = _chained_store(stmt, name)
        if chained:
            if any(calls_with(past, name) for past in read_past):
                return Site(Kind.USED_BEFORE_HANDOFF, name, function, handed_on=True)
            return Site(Kind.STORED, describe(chained[0]), function, target=chained[0], also=chained[1:])
        kind, target, call, argument = next_use(name, stmt)
        if kind is Kind.BOUND_THEN_PASSED and call is not None and _collected_for_finally(call, finallies):
            return Site(Kind.BOUND_THEN_FINALLY, name, function)
        if kind is Kind.BOUND_THEN_PASSED and call is not None:
            kept = collected_into(call, function, levels, finallies)
            if kept is not None:
                return replace(kept, detail=name) if kept.kind is Kind.BOUND_THEN_PASSED else kept
        if kind is Kind.BOUND_THEN_PASSED:
            site = Site(kind, name, function, outer=call, argument=argument)
            if isinstance(stmt, ReturnStmt):
                return site
            passed = passed or site
        elif kind in _HANDED_OUT or (first and kind is not Kind.BOUND):
            if kind is Kind.STORED and passed is None and isinstance(target, IndexExpr) and _item_of_a_local(target):
                # `settings["sock"] = sock`, then `return sock`: the return decides, if any.
                passed = Site(kind, describe(target), function, target=target)
                read_past.append(stmt)
                first = False
                continue
            if kind in _HANDED_OUT and any(calls_with(past, name) for past in read_past):
                # `sock.connect(addr)` before `return sock`: if that raises, the
                # value is dropped unreleased.
                return Site(Kind.USED_BEFORE_HANDOFF, name, function, handed_on=kind is Kind.STORED)
            detail = describe(target) if target is not None else name
            return Site(kind, detail, function, target=target)
        elif kind is not Kind.BOUND or ends_flow(stmt, name):
            # Entered or released only after other code ran, or the flow ends.
            if passed is not None:
                return passed
            later = kind in _ENTERED_LATER and not any(uses(past, name) for past in read_past)
            return Site(Kind.BOUND, name, function, entered_later=later)
        read_past.append(stmt)
        first = False
    return passed or Site(Kind.BOUND, name, function)


def _awaited_next(stmt: Statement, name: str, function: Function | None) -> Site | None:
    """A coroutine bound to `name` and awaited by the next statement (or by the first of
    the `try` that follows): `coro = start(); try: self.server = await coro`. Where the
    awaited value goes decides (stored, returned)."""
    if isinstance(stmt, TryStmt) and stmt.body.body:
        stmt = stmt.body.body[0]
    if isinstance(stmt, ReturnStmt) and _awaits(stmt.expr, name):
        return Site(Kind.BOUND_THEN_RETURNED, name, function)
    if isinstance(stmt, AssignmentStmt) and len(stmt.lvalues) == 1 and _awaits(stmt.rvalue, name):
        target = stmt.lvalues[0]
        if isinstance(target, (MemberExpr, IndexExpr)):
            return Site(Kind.STORED, describe(target), function, target=target)
    return None


def _chained_store(stmt: Statement, name: str) -> list[Expression]:
    """The targets of `self._bare = self._io = name` (every one an attribute or item)."""
    if not (isinstance(stmt, AssignmentStmt) and len(stmt.lvalues) > 1 and is_name(stmt.rvalue, name)):
        return []
    if not all(isinstance(lvalue, (MemberExpr, IndexExpr)) for lvalue in stmt.lvalues):
        return []
    return list(stmt.lvalues)


def _awaits(expr: Expression | None, name: str) -> bool:
    return isinstance(expr, AwaitExpr) and is_name(expr.expr, name)


def _item_of_a_local(target: IndexExpr) -> bool:
    """`settings["sock"]`: an item of a container a local name (or parameter) holds."""
    return isinstance(target.base, NameExpr)


def _handed_on_after(stmt: TryStmt, name: str, levels: Levels) -> bool:
    """Whether `name` is returned or stored inside the `try` or after it."""
    if handed_on_in(stmt, name) is not None:
        return True
    after = False
    for following in statements_after(levels):
        if following is stmt:
            after = True
            continue
        if after:
            kind = next_use(name, following)[0]
            if kind is Kind.BOUND_THEN_RETURNED or kind is Kind.STORED:
                return True
    return False


def released_in_finally(finallies: list[Block], name: str) -> bool:
    """Whether the `finally` of a `try` around the walk releases `name` (also
    `self.x`)."""
    return any(releases(final.body, name) for final in finallies)


def collected_into(call: CallExpr, function: Function | None, levels: Levels, finallies: list[Block]) -> Site | None:
    """`servers.append(server)` into a local list that is then stored (`self.servers =
    servers`) or handed to a call (`return Listener(conn, servers)`): the value goes where
    the list goes (an owner of a list releases each of its items, or its owning parameter
    decides). Not past the end of a loop that fills it: a later pass that raises would
    lose what the list holds."""
    callee = call.callee
    if not (isinstance(callee, MemberExpr) and callee.name in COLLECTION_ADDERS and isinstance(callee.expr, NameExpr)):
        return None
    fate = after_binding(callee.expr.name, None, function, levels, finallies)
    return fate if fate.kind is Kind.STORED or fate.kind is Kind.BOUND_THEN_PASSED else None


def _collected_for_finally(call: CallExpr, finallies: list[Block]) -> bool:
    """`files.append(...)` into a list that the `finally` around it releases."""
    callee = call.callee
    return (
        isinstance(callee, MemberExpr)
        and callee.name in COLLECTION_ADDERS
        and isinstance(callee.expr, NameExpr)
        and released_in_finally(finallies, callee.expr.name)
    )
