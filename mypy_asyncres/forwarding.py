"""Parameters a function takes ownership of by what its body does with them: it forwards
them to an owning parameter of what it returns, or it enters them.

`def make_session(connector=None) -> ClientSession: return ClientSession(connector=connector)`
owns `connector`: the session it returns closes it. The facts are syntactic, one per
forwarded parameter: (parameter, the callee as written, the argument it is passed as,
the keywords that call passes as `False`). Which callee that names, and whether it owns
that argument, is decided at the hand-off (handoff.py), with the names mypy resolved.

Methods' facts are read when mypy analyses their class and kept with its other facts
(ownership.py), so callers in other modules see them cold and warm. A module-level
function is read from its body when the caller is in the same module: mypy writes a
module's cache before it checks its function bodies, and keeps no bodies of modules
loaded from the cache, so no fact found later could reach a caller elsewhere the same
way cold and warm.
"""

from __future__ import annotations

from mypy.nodes import (
    AssignmentStmt,
    AwaitExpr,
    Block,
    CallExpr,
    Expression,
    ExpressionStmt,
    FuncDef,
    IfStmt,
    NameExpr,
    RaiseStmt,
    ReturnStmt,
    Statement,
    TryStmt,
    WithStmt,
)

from mypy_asyncres.flows import nested_statements, stack_call
from mypy_asyncres.site_model import describe

# (parameter, callee as written, "keyword" or "#position", keywords passed as False)
Forward = tuple[str, str, str, tuple[str, ...]]


def forwards_of(func: FuncDef) -> list[Forward]:
    """What the function's `return` statements pass on of its parameters, as they are,
    to the calls they return (also nested: `return Client(ClientSession(connector=c))`)."""
    parameters = {arg.variable.name for arg in func.arguments}
    if not parameters:
        return []
    found: list[Forward] = []
    for stmt in func.body.body:
        for nested in nested_statements(stmt):
            if isinstance(nested, ReturnStmt) and nested.expr is not None:
                _scan(nested.expr, parameters, found)
    return found


def _scan(expr: Expression, parameters: set[str], found: list[Forward]) -> None:
    if isinstance(expr, AwaitExpr):
        expr = expr.expr
    if not isinstance(expr, CallExpr):
        return
    callee = describe(expr.callee)
    kept = tuple(
        name for name, value in zip(expr.arg_names, expr.args)
        if name is not None and isinstance(value, NameExpr) and value.name == "False"
    )
    for i, (arg, name) in enumerate(zip(expr.args, expr.arg_names)):
        if isinstance(arg, NameExpr) and arg.name in parameters:
            if callee:
                found.append((arg.name, callee, name if name is not None else f"#{i}", kept))
        else:
            _scan(arg, parameters, found)


def entered_parameters(func: FuncDef) -> list[str]:
    """Parameters the function enters (`async with cm:`) or hands to an exit stack
    (`stack.enter_context(cm)`) on every path: a context manager passed there is
    entered by the callee (`await run_in(transaction())`)."""
    names = [arg.variable.name for arg in func.arguments]
    return [name for name in names if _enters(func.body.body, name)]


def _enters(body: list[Statement], name: str) -> bool:
    """Whether these statements enter `name` before they can leave."""
    for stmt in body:
        if isinstance(stmt, WithStmt):
            if any(isinstance(e, NameExpr) and e.name == name for e in stmt.expr):
                return True
            if _enters(stmt.body.body, name):
                return True
        elif isinstance(stmt, (ExpressionStmt, AssignmentStmt)):
            value = stmt.expr if isinstance(stmt, ExpressionStmt) else stmt.rvalue
            stacked = stack_call(value)
            if stacked is not None and isinstance(stacked.args[0], NameExpr) and stacked.args[0].name == name:
                return True
        elif isinstance(stmt, IfStmt):
            # Entered in every branch (an `if` without `else` may skip it).
            if stmt.else_body is not None and all(
                _enters(block.body, name) for block in [*stmt.body, stmt.else_body]
            ):
                return True
        elif isinstance(stmt, TryStmt):
            if _enters(stmt.body.body, name):
                return True
        elif isinstance(stmt, Block):
            if _enters(stmt.body, name):
                return True
        if isinstance(stmt, (ReturnStmt, RaiseStmt)):
            return False
    return False
