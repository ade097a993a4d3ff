"""Walking statements: the blocks of a compound statement, the statements of a body, the
expressions of a statement, and whether one ends the flow of a name. Pure syntax over
mypy's nodes."""

from __future__ import annotations

from collections.abc import Iterator

from mypy.nodes import (
    AssertStmt,
    AssignmentStmt,
    AwaitExpr,
    Block,
    BreakStmt,
    CallExpr,
    ContinueStmt,
    DelStmt,
    Expression,
    ExpressionStmt,
    ForStmt,
    IfStmt,
    ListExpr,
    MatchStmt,
    MemberExpr,
    NameExpr,
    OperatorAssignmentStmt,
    RaiseStmt,
    ReturnStmt,
    StarExpr,
    Statement,
    TryStmt,
    TupleExpr,
    WhileStmt,
    WithStmt,
)

from mypy_asyncres.names import (
    STACK_METHODS,
)
from mypy_asyncres.sites.model import describe, is_name


def is_target(expr: Expression, name: str) -> bool:
    """`expr` is the local `name`, or the attribute `name` spells (`self.x`)."""
    if "." in name:
        return isinstance(expr, MemberExpr) and describe(expr) == name
    return is_name(expr, name)



def binds(target: Expression, name: str) -> bool:
    """Whether an assignment target rebinds `name`, also as a member of an unpacking
    (`reader, writer = ...`, `first, *rest = ...`)."""
    if isinstance(target, (TupleExpr, ListExpr)):
        return any(binds(item, name) for item in target.items)
    if isinstance(target, StarExpr):
        return binds(target.expr, name)
    return is_name(target, name)


def stack_call(expr: Expression) -> CallExpr | None:
    """`stack.enter_context(x)` or `await stack.enter_async_context(x)`."""
    if isinstance(expr, AwaitExpr):
        expr = expr.expr
    if (
        isinstance(expr, CallExpr)
        and isinstance(expr.callee, MemberExpr)
        and expr.callee.name in STACK_METHODS
        and expr.args
    ):
        return expr
    return None



def mentions(expr: Expression, name: str) -> bool:
    """`name`, `name.values()`, `list(name)`, `reversed(name)`: what a loop over a collection reads."""
    if isinstance(expr, CallExpr):
        if isinstance(expr.callee, MemberExpr):
            return is_name(expr.callee.expr, name)
        return len(expr.args) == 1 and mentions(expr.args[0], name)
    return is_name(expr, name)



def mentions_target(expr: Expression, text: str) -> bool:
    """Whether an expression reads `text` (`self._session`, or a local name)."""
    from mypy.server.subexpr import get_subexpressions

    return any(
        isinstance(sub, (MemberExpr, NameExpr)) and describe(sub) == text for sub in [expr, *get_subexpressions(expr)]
    )



def blocks_of(stmt: Statement) -> list[Block]:
    """The blocks of a compound statement (not of nested functions or classes). By exact
    type: it runs for every compound statement of every method mypy analyses."""
    blocks: list[Block]
    if type(stmt) is IfStmt:
        blocks = list(stmt.body)
    elif type(stmt) is WithStmt:
        return [stmt.body]
    elif type(stmt) is ForStmt or type(stmt) is WhileStmt:
        blocks = [stmt.body]
    elif type(stmt) is TryStmt:
        blocks = [stmt.body, *stmt.handlers]
        if stmt.else_body is not None:
            blocks.append(stmt.else_body)
        if stmt.finally_body is not None:
            blocks.append(stmt.finally_body)
        return blocks
    elif type(stmt) is MatchStmt:
        return list(stmt.bodies)
    elif type(stmt) is Block:
        return [stmt]
    else:
        return []
    if stmt.else_body is not None:
        blocks.append(stmt.else_body)
    return blocks



def nested_statements(stmt: Statement) -> Iterator[Statement]:
    """A statement and those in its blocks (not in nested functions or classes)."""
    yield stmt
    for block in blocks_of(stmt):
        for inner in block.body:
            yield from nested_statements(inner)



# Statements that have no blocks: most of a body, skipped at once by `statements_in`.
_SIMPLE = (ExpressionStmt, AssignmentStmt, ReturnStmt, RaiseStmt, OperatorAssignmentStmt, AssertStmt, DelStmt)



def statements_in(body: list[Statement]) -> list[Statement]:
    """Every statement of a body, nested blocks included (not nested functions or
    classes), in source order: `nested_statements` without a generator per statement
    (it runs over every method of every class mypy analyses)."""
    out: list[Statement] = []
    stack = [body]
    while stack:
        block = stack.pop()
        for stmt in block:
            out.append(stmt)
            if not isinstance(stmt, _SIMPLE):
                inner = blocks_of(stmt)
                if inner:
                    stack.extend(b.body for b in reversed(inner))
    return out


def expressions_of(stmt: Statement) -> list[Expression]:
    from mypy.server.subexpr import get_subexpressions

    if isinstance(stmt, ExpressionStmt):
        return get_subexpressions(stmt.expr)
    if isinstance(stmt, AssignmentStmt):
        return get_subexpressions(stmt.rvalue)
    if isinstance(stmt, ReturnStmt) and stmt.expr is not None:
        return get_subexpressions(stmt.expr)
    if isinstance(stmt, WithStmt):
        return [e for item in stmt.expr for e in get_subexpressions(item)] + (
            [AwaitExpr(stmt.expr[0])] if stmt.is_async and stmt.expr else []
        )
    if isinstance(stmt, ForStmt) and stmt.is_async:
        return [AwaitExpr(stmt.expr)]
    return []



def uses(stmt: Statement, name: str) -> bool:
    """Whether a statement (or one in its blocks) reads `name` anywhere."""
    from mypy.server.subexpr import get_subexpressions

    return any(is_name(sub, name) for sub in get_subexpressions(stmt))


def ends_flow(stmt: Statement, name: str) -> bool:
    """Whether a statement may leave the function (or the loop) or rebind `name`, so that
    what comes after it no longer decides the value's fate. (Read for every statement
    after a binding: simple statements are decided without walking.)"""
    if isinstance(stmt, (ExpressionStmt, OperatorAssignmentStmt, AssertStmt)):
        return False
    if isinstance(stmt, AssignmentStmt):
        return any(binds(lvalue, name) for lvalue in stmt.lvalues)
    if isinstance(stmt, (ReturnStmt, RaiseStmt, BreakStmt, ContinueStmt)):
        return True
    if isinstance(stmt, DelStmt):
        return is_name(stmt.expr, name)
    if isinstance(stmt, WithStmt) and any(is_name(e, name) for e in stmt.expr):
        return True  # entered on one branch only
    return any(ends_flow(inner, name) for block in blocks_of(stmt) for inner in block.body)


def statement_expressions(s: AssertStmt | DelStmt | RaiseStmt) -> list[Expression]:
    if isinstance(s, AssertStmt):
        parts = [s.expr, s.msg]
    elif isinstance(s, DelStmt):
        parts = [s.expr]
    else:
        parts = [s.expr, s.from_expr]
    return [p for p in parts if p is not None]
