"""Parameters a function takes ownership of by what its body does with them: it forwards
them to an owning parameter of what it returns, or it enters them.

`def make_session(connector=None) -> ClientSession: return ClientSession(connector=connector)`
owns `connector`: the session it returns closes it. The facts are syntactic, one per
forwarded parameter: (parameter, the callee as written, the argument it is passed as,
the keywords that call passes as `False`). Which callee that names, and whether it owns
that argument, is decided at the hand-off (rules/handoff.py), with the names mypy resolved.

Methods' facts are read when mypy analyses their class and kept with its other facts
(owner_classes.py, cache/metadata.py), so callers in other modules see them cold and warm. A module-level
function is read from its body when the caller is in the same module: mypy writes a
module's cache before it checks its function bodies, and keeps no bodies of modules
loaded from the cache, so no fact found later could reach a caller elsewhere the same
way cold and warm.
"""

from __future__ import annotations

from typing import Final

from mypy.nodes import (
    AssignmentStmt,
    AwaitExpr,
    Block,
    CallExpr,
    Expression,
    ExpressionStmt,
    FuncDef,
    IfStmt,
    MemberExpr,
    NameExpr,
    RaiseStmt,
    ReturnStmt,
    Statement,
    SuperExpr,
    TryStmt,
    WithStmt,
)

from mypy_asyncres.sites.model import argument_key, describe
from mypy_asyncres.sites.statements import binds, stack_call, statements_in

# (parameter, callee as written, "keyword" or "#position", keywords passed as False)
Forward = tuple[str, str, str, tuple[str, ...]]


def forwards_of(func: FuncDef, statements: list[Statement] | None = None) -> list[Forward]:
    """What the function's `return` statements pass on of its parameters, as they are,
    to the calls they return (also nested: `return Client(ClientSession(connector=c))`).
    statements: the body's statements (sites/statements.statements_in), when already listed."""
    parameters = {arg.variable.name for arg in func.arguments}
    if not parameters:
        return []
    found: list[Forward] = []
    for nested in statements if statements is not None else statements_in(func.body.body):
        if isinstance(nested, ReturnStmt) and isinstance(nested.expr, (CallExpr, AwaitExpr)):
            _scan(nested.expr, parameters, found)
    return found


def _scan(expr: Expression, parameters: set[str], found: list[Forward]) -> None:
    if isinstance(expr, AwaitExpr):
        expr = expr.expr
    if not isinstance(expr, CallExpr):
        return
    callee = describe(expr.callee)
    kept = _passed_as_false(expr)
    for i, (arg, name) in enumerate(zip(expr.args, expr.arg_names)):
        if isinstance(arg, NameExpr) and arg.name in parameters:
            if callee:
                found.append((arg.name, callee, argument_key(i, name), kept))
        else:
            _scan(arg, parameters, found)


def _passed_as_false(call: CallExpr) -> tuple[str, ...]:
    """The keywords a call passes as `False` (`connector_owner=False`)."""
    return tuple(
        name for name, value in zip(call.arg_names, call.args)
        if name is not None and isinstance(value, NameExpr) and value.name == "False"
    )


# How a forward to the base class's constructor names its callee (rules/handoff.py).
SUPER_INIT: Final = "super().__init__"


def super_init_forwards(func: FuncDef) -> list[Forward]:
    """What a constructor passes on of its parameters, as they are, to the base class's
    (`super().__init__(reader, writer, timeout=timeout)`): a subclass owns what the base
    it forwards to owns."""
    calls = [
        stmt.expr for stmt in func.body.body
        if isinstance(stmt, ExpressionStmt) and isinstance(stmt.expr, CallExpr) and _is_super_init(stmt.expr.callee)
    ]
    if not calls:
        return []  # (most constructors: read for every class mypy analyses)
    assignments = [stmt for stmt in statements_in(func.body.body) if isinstance(stmt, AssignmentStmt)]
    parameters = {  # passed on as given: never rebound
        arg.variable.name for arg in func.arguments[1:]
        if not any(binds(lvalue, arg.variable.name) for stmt in assignments for lvalue in stmt.lvalues)
    }
    found: list[Forward] = []
    for call in calls:
        if any(kind.is_star() for kind in call.arg_kinds):
            continue  # `super().__init__(*args, **kwargs)`: which goes where is not known
        kept = _passed_as_false(call)
        for i, (arg, name) in enumerate(zip(call.args, call.arg_names)):
            if isinstance(arg, NameExpr) and arg.name in parameters:
                found.append((arg.name, SUPER_INIT, argument_key(i, name), kept))
    return found


def _is_super_init(callee: Expression) -> bool:
    """`super().__init__`, before (a member of a call of `super`) or after mypy analyses it."""
    if isinstance(callee, SuperExpr):
        return callee.name == "__init__"
    return isinstance(callee, MemberExpr) and callee.name == "__init__" and is_super_call(callee.expr)


def is_super_call(expr: Expression) -> bool:
    """`super()` (or `super(Cls, self)`) as mypy's parser leaves it, before analysis."""
    return isinstance(expr, CallExpr) and isinstance(expr.callee, NameExpr) and expr.callee.name == "super"


def entered_parameters(func: FuncDef) -> list[str]:
    """Parameters the function enters (`async with cm:`) or hands to an exit stack
    (`stack.enter_context(cm)`) on every path: a context manager passed there is
    entered by the callee (`await run_in(transaction())`)."""
    entered = _entered(func.body.body)
    return [arg.variable.name for arg in func.arguments if arg.variable.name in entered]


def _entered(body: list[Statement]) -> set[str]:
    """The names these statements enter before they can leave, on every path."""
    found: set[str] = set()
    for stmt in body:
        if isinstance(stmt, WithStmt):
            found.update(e.name for e in stmt.expr if isinstance(e, NameExpr))
            found |= _entered(stmt.body.body)
        elif isinstance(stmt, (ExpressionStmt, AssignmentStmt)):
            stacked = stack_call(stmt.expr if isinstance(stmt, ExpressionStmt) else stmt.rvalue)
            if stacked is not None and isinstance(stacked.args[0], NameExpr):
                found.add(stacked.args[0].name)
        elif isinstance(stmt, IfStmt):
            # Entered in every branch (an `if` without `else` may skip it).
            if stmt.else_body is not None:
                branches = [_entered(block.body) for block in [*stmt.body, stmt.else_body]]
                found |= set.intersection(*branches)
        elif isinstance(stmt, TryStmt):
            found |= _entered(stmt.body.body)
        elif isinstance(stmt, Block):
            found |= _entered(stmt.body)
        elif isinstance(stmt, (ReturnStmt, RaiseStmt)):
            break
    return found
