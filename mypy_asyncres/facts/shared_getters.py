"""Module-level functions that lend a shared value instead of making a new one:
`def get_executor() -> ThreadPoolExecutor | None: return _State.EXECUTOR` hands out what a
module global or a class attribute keeps for the process. A call of such a function is
no creation; the value is judged where it is made and stored. (A `functools.cache` /
`lru_cache` factory needs nothing here: mypy types its calls through the cache's generic
wrapper, which hands back a type variable, so they are never creations.)

Read from the body only when the caller is in the same module, as the forwarded
parameters of module-level functions are (see forwarding.py).
"""

from __future__ import annotations

from mypy.checker import TypeChecker
from mypy.nodes import (
    FUNC_NO_INFO,
    GDEF,
    CallExpr,
    Expression,
    FuncDef,
    MemberExpr,
    NameExpr,
    RefExpr,
    ReturnStmt,
    TypeInfo,
    Var,
)

from mypy_asyncres.sites.statements import statements_in


def lends_shared(call: CallExpr, checker: TypeChecker) -> bool:
    """Whether the callee of this call is a getter of a shared value (see the module)."""
    callee = call.callee
    if not isinstance(callee, RefExpr):
        return False
    func = callee.node
    if not isinstance(func, FuncDef) or func.info is not FUNC_NO_INFO or _module_of(func) != checker.tree.fullname:
        return False  # (a method's facts are its class's, see owner_classes.py)
    returns = [s for s in statements_in(func.body.body) if isinstance(s, ReturnStmt)]
    return bool(returns) and all(s.expr is not None and _is_shared(s.expr) for s in returns)


def _module_of(func: FuncDef) -> str:
    return func.fullname.rpartition(".")[0]


def _is_shared(expr: Expression) -> bool:
    """A module global (`_session`) or a class attribute (`_State.EXECUTOR`)."""
    if isinstance(expr, NameExpr):
        return expr.kind == GDEF and isinstance(expr.node, Var)
    return isinstance(expr, MemberExpr) and isinstance(expr.expr, NameExpr) and isinstance(expr.expr.node, TypeInfo)
