"""Factories that forward their own parameter to an owning parameter of what they return.

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

from mypy.nodes import AwaitExpr, CallExpr, Expression, FuncDef, NameExpr, ReturnStmt

from mypy_asyncres.flows import nested_statements
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
