"""Use after exit: a resource used after the `with` block that released it, or carried
out of it.

`async with ClientSession() as s: ...` then `await s.get(url)`; `with open(p) as f:
return csv.reader(f)`; a task of a task group entered outside the block that is handed
the resource. The facts are syntactic, read from the function around the `with`
statement (sites/collector.py records it with the item's site); the check needs only the
resource's type, to know that the name is bound to what the exit releases.

Flow: the statements after the block are read in order; a rebinding of the name ends
the question on its path, branches are followed apart and joined (a use after an `if`
that rebinds the name in one branch only is still a use on the other path), loop bodies
are read once. What cannot be decided stays quiet: uses in a loop before the `with`
that the loop re-runs, uses in nested functions defined after the block, and calls
whose callee the plugin cannot resolve (a call that takes the resource and returns
something is an escape only when the callee is declared to return an iterator, a
generator, an awaitable or a callable that may keep it).
"""

from __future__ import annotations

from dataclasses import dataclass

from mypy.nodes import (
    AssignmentStmt,
    AwaitExpr,
    Block,
    CallExpr,
    Decorator,
    Expression,
    ExpressionStmt,
    ForStmt,
    FuncDef,
    FuncItem,
    IfStmt,
    LambdaExpr,
    MemberExpr,
    NameExpr,
    OperatorAssignmentStmt,
    RaiseStmt,
    RefExpr,
    ReturnStmt,
    Statement,
    TryStmt,
    TypeInfo,
    WhileStmt,
    WithStmt,
    YieldExpr,
)
from mypy.server.subexpr import get_subexpressions
from mypy.types import CallableType, Instance, get_proper_type

from mypy_asyncres.names import TASK_SPAWNERS, is_task_group_factory
from mypy_asyncres.sites.flows import statements_after
from mypy_asyncres.sites.model import Levels, describe, is_name
from mypy_asyncres.sites.statements import nested_statements, uses


@dataclass(frozen=True)
class Misuse:
    """A use of the released resource: where, and what it was."""

    node: Expression | Statement
    what: str  # `a call of "s.get"`, `passed to "process"`, `iterated`, ...
    kind: str  # "after" (after the block), "escape" (out of it), "task" (outlives it)
    group: str = ""  # "task": the task group's name


def block_end(stmt: WithStmt) -> int:
    last = stmt.body.body[-1] if stmt.body.body else stmt
    return last.end_line or last.line


def misuses(name: str, stmt: WithStmt, levels: Levels) -> list[Misuse]:
    """Everything wrong with what the function does with `name`, bound by `stmt`."""
    found = _escapes(name, stmt.body.body)
    found += _tasks(name, stmt, levels)
    if not _always_leaves(stmt.body.body):
        use = _first_use_after(name, list(statements_after(levels)))
        if use is not None:
            found.append(use)
    return found


# ---- after the block -------------------------------------------------------


def _first_use_after(name: str, statements: list[Statement]) -> Misuse | None:
    use, _ = _scan(name, statements)
    return use


def _scan(name: str, statements: list[Statement]) -> tuple[Misuse | None, bool]:
    """The first use of `name` in these statements while it still holds the released
    value; and whether it still does at their end (False: rebound or left on every path)."""
    for stmt in statements:
        if isinstance(stmt, IfStmt):
            for cond in stmt.expr:
                use = _use_in_expression(name, cond)
                if use is not None:
                    return use, True
            live_after = False
            branches = [b.body for b in stmt.body] + [stmt.else_body.body if stmt.else_body else []]
            for branch in branches:
                use, live = _scan(name, branch)
                if use is not None:
                    return use, True
                live_after = live_after or (live and not _always_leaves(branch))
            if not live_after:
                return None, False
            continue
        if isinstance(stmt, (ForStmt, WhileStmt)):
            header = stmt.expr
            if isinstance(stmt, ForStmt) and is_name(header, name):
                return Misuse(stmt.expr, "iterated", "after"), True
            use = _use_in_expression(name, header)
            if use is not None:
                return use, True
            use, _ = _scan(name, stmt.body.body)
            if use is not None:
                return use, True
            continue
        if isinstance(stmt, TryStmt):
            for block in [stmt.body, *stmt.handlers, stmt.else_body, stmt.finally_body]:
                if block is not None:
                    use, _ = _scan(name, block.body)
                    if use is not None:
                        return use, True
            continue
        if isinstance(stmt, WithStmt):
            # Items are entered in order, each target bound before the next item runs.
            for item, target in zip(stmt.expr, stmt.target):
                if is_name(item, name):
                    return Misuse(item, "entered again", "after"), True
                use = _use_in_expression(name, item)
                if use is not None:
                    return use, True
                if target is not None and is_name(target, name):
                    return None, False  # rebound by this `with`
            use, live = _scan(name, stmt.body.body)
            if use is not None or not live:
                return use, live
            continue
        if isinstance(stmt, Block):
            use, live = _scan(name, stmt.body)
            if use is not None or not live:
                return use, live
            continue
        if isinstance(stmt, (FuncItem, Decorator)):
            continue  # (a nested function defined after the block: not followed)
        use = _use_in_simple(name, stmt)
        if use is not None:
            return use, True
        if _rebinds(stmt, name):
            return None, False
        if isinstance(stmt, (ReturnStmt, RaiseStmt)):
            return None, False
    return None, True


def _use_in_simple(name: str, stmt: Statement) -> Misuse | None:
    if isinstance(stmt, ReturnStmt) and stmt.expr is not None:
        if is_name(stmt.expr, name):
            return Misuse(stmt.expr, "returned", "after")
        return _use_in_expression(name, stmt.expr)
    if isinstance(stmt, ExpressionStmt):
        return _use_in_expression(name, stmt.expr)
    if isinstance(stmt, AssignmentStmt):
        return _use_in_expression(name, stmt.rvalue)
    if isinstance(stmt, OperatorAssignmentStmt):
        return _use_in_expression(name, stmt.rvalue)
    return None


def _use_in_expression(name: str, expr: Expression) -> Misuse | None:
    """A method call on `name`, `name` passed to a call, yielded, or awaited; plain
    attribute reads (`f.name`, `resp.status`) are not uses."""
    for sub in [expr, *get_subexpressions(expr)]:
        if isinstance(sub, CallExpr):
            callee = sub.callee
            if isinstance(callee, MemberExpr) and is_name(callee.expr, name):
                return Misuse(sub, f'a call of "{name}.{callee.name}"', "after")
            if any(is_name(arg, name) for arg in sub.args):
                target = describe(callee)
                return Misuse(sub, f'passed to "{target}"' if target else "passed to a call", "after")
        elif isinstance(sub, YieldExpr) and sub.expr is not None and is_name(sub.expr, name):
            return Misuse(sub, "yielded", "after")
        elif isinstance(sub, AwaitExpr) and is_name(sub.expr, name):
            return Misuse(sub, "awaited", "after")
    return None


def _rebinds(stmt: Statement, name: str) -> bool:
    if isinstance(stmt, AssignmentStmt):
        for lvalue in stmt.lvalues:
            targets = [lvalue, *get_subexpressions(lvalue)]
            if any(is_name(t, name) for t in targets):
                return True
    return False


def _always_leaves(body: list[Statement]) -> bool:
    """Whether every path through these statements leaves by `return` or `raise`."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, (ReturnStmt, RaiseStmt)):
        return True
    if isinstance(last, IfStmt) and last.else_body is not None:
        return all(_always_leaves(b.body) for b in last.body) and _always_leaves(last.else_body.body)
    return False


# ---- out of the block ------------------------------------------------------


def _escapes(name: str, body: list[Statement]) -> list[Misuse]:
    """`return name` inside the block, or a return of what keeps it: a lambda or nested
    function over it, or a call declared to return an iterator, generator or awaitable
    that takes it (`return csv.reader(f)`)."""
    found = []
    nested_functions = _closures_over(name, body)
    for top in body:
        for stmt in nested_statements(top):
            if not isinstance(stmt, ReturnStmt) or stmt.expr is None:
                continue
            value = stmt.expr
            if is_name(value, name):
                found.append(Misuse(value, "returned from inside its block", "escape"))
            elif isinstance(value, LambdaExpr) and _mentions(value, name):
                found.append(Misuse(value, "kept by the lambda returned from inside its block", "escape"))
            elif isinstance(value, NameExpr) and value.name in nested_functions:
                found.append(Misuse(value, f'kept by "{value.name}", returned from inside its block', "escape"))
            elif isinstance(value, CallExpr) and any(is_name(a, name) for a in value.args) and _keeps(value):
                kept_by = f'kept by "{describe(value.callee)}(...)", returned from inside its block'
                found.append(Misuse(value, kept_by, "escape"))
    return found


def _closures_over(name: str, body: list[Statement]) -> set[str]:
    found = set()
    for top in body:
        for stmt in nested_statements(top):
            func = stmt.func if isinstance(stmt, Decorator) else stmt
            if isinstance(func, FuncDef) and any(uses(s, name) for s in func.body.body):
                found.add(func.name)
    return found


def _mentions(expr: Expression, name: str) -> bool:
    return any(is_name(sub, name) for sub in [expr, *get_subexpressions(expr)])


# Declared results that may keep what they were given (an iterator over a file, a
# coroutine that will read it).
_KEEPING_PROTOCOLS = frozenset(
    {
        "typing.Iterator",
        "typing.AsyncIterator",
        "typing.Generator",
        "typing.AsyncGenerator",
        "typing.Awaitable",
        "typing.Coroutine",
    }
)


def _keeps(call: CallExpr) -> bool:
    """Whether the callee is declared to return something that may keep its argument."""
    callee = call.callee
    node = callee.node if isinstance(callee, RefExpr) else None
    if isinstance(node, Decorator):
        node = node.func
    if isinstance(node, TypeInfo):
        return _keeping_class(node)
    sig = node.type if isinstance(node, FuncDef) else None
    if not isinstance(sig, CallableType):
        return False
    ret = get_proper_type(sig.ret_type)
    return isinstance(ret, CallableType) or (isinstance(ret, Instance) and _keeping_class(ret.type))


def _keeping_class(info: TypeInfo) -> bool:
    """An iterator, generator or awaitable (declared, or by its `__next__` / `__anext__`
    / `__await__`): it may keep what it was made from until it is used up."""
    return any(base.fullname in _KEEPING_PROTOCOLS for base in info.mro) or any(
        info.get(method) is not None for method in ("__next__", "__anext__", "__await__")
    )


# ---- tasks that outlive the block ------------------------------------------


def _tasks(name: str, stmt: WithStmt, levels: Levels) -> list[Misuse]:
    """The resource handed to a task of a task group entered outside its block: the group
    waits for its tasks only at its own exit."""
    groups = _enclosing_groups(levels)
    if not groups:
        return []
    found = []
    for top in stmt.body.body:
        for inner in nested_statements(top):
            for sub in get_subexpressions(inner) if not isinstance(inner, (FuncItem, Decorator)) else []:
                if not (isinstance(sub, CallExpr) and isinstance(sub.callee, MemberExpr)):
                    continue
                receiver = sub.callee.expr
                if sub.callee.name not in TASK_SPAWNERS or not isinstance(receiver, NameExpr):
                    continue
                if receiver.name in groups and any(_mentions(arg, name) for arg in sub.args):
                    found.append(Misuse(sub, f'handed to a task of "{receiver.name}"', "task", receiver.name))
    return found


def _enclosing_groups(levels: Levels) -> set[str]:
    """Names bound by `async with TaskGroup() as tg:` (or a nursery, an anyio task group)
    around the walked statement, in the same function."""
    names = set()
    for depth in range(len(levels) - 1):
        body, after = levels[depth]
        compound = body[after - 1]
        if isinstance(compound, WithStmt):
            for item, target in zip(compound.expr, compound.target):
                call = item.expr if isinstance(item, AwaitExpr) else item
                if (
                    isinstance(call, CallExpr)
                    and isinstance(call.callee, RefExpr)
                    and is_task_group_factory(call.callee.fullname)
                    and isinstance(target, NameExpr)
                ):
                    names.add(target.name)
    return names
