"""What releases a value bound to a name: a release call (`f.close()`, a pipe-less
`wait()`), a `finally` or guarding `except`, an error branch that releases before it
leaves, a stored field's old value tested first. Pure syntax over mypy's nodes."""

from __future__ import annotations

from mypy.nodes import (
    AssignmentStmt,
    AwaitExpr,
    BreakStmt,
    BytesExpr,
    CallExpr,
    CastExpr,
    ComparisonExpr,
    ContinueStmt,
    DictExpr,
    Expression,
    ExpressionStmt,
    FloatExpr,
    ForStmt,
    IfStmt,
    IntExpr,
    ListExpr,
    MemberExpr,
    NameExpr,
    RaiseStmt,
    RefExpr,
    ReturnStmt,
    Statement,
    StrExpr,
    TempNode,
    TryStmt,
    TupleExpr,
    UnaryExpr,
    WithStmt,
)

from mypy_asyncres.names import (
    CONSUMING_METHODS,
    CONSUMING_WHEN_AWAITED,
    RELEASE_BY_ARGUMENT_CALLS,
    RELEASE_CALLS,
    WAIT_CALLS,
)
from mypy_asyncres.sites.model import Levels, describe, is_name
from mypy_asyncres.sites.statements import (
    ends_flow,
    expressions_of,
    is_target,
    mentions,
    mentions_target,
    nested_statements,
)


def _is_release_of(expr: Expression, name: str, *, waits: bool = True) -> bool:
    """`name.close()` (or another release call, see names.RELEASE_CALLS), or `pool.release(name)`;
    with `waits`, also `await name.wait()` (see names.WAIT_CALLS; right after the
    creation it is `waits_without_pipes`)."""
    awaited = isinstance(expr, AwaitExpr)
    if isinstance(expr, AwaitExpr):
        expr = expr.expr
    if not (isinstance(expr, CallExpr) and isinstance(expr.callee, MemberExpr)):
        return False
    method = expr.callee.name
    receiver = expr.callee.expr
    if isinstance(receiver, CallExpr) and isinstance(receiver.analyzed, CastExpr):
        receiver = receiver.analyzed.expr  # `cast(AsyncContextManager[Any], self._stack).__aexit__(...)`
    if method in RELEASE_CALLS or (waits and awaited and method in WAIT_CALLS and not expr.args):
        return is_target(receiver, name)
    if method in RELEASE_BY_ARGUMENT_CALLS:
        # `pool.release(conn)` gives it back; `resp.release()` (aiohttp) releases itself.
        return is_target(expr.args[0], name) if expr.args else is_target(receiver, name)
    return False



def consumes(call: CallExpr) -> bool:
    """`proc.communicate()` (also with its input) without a timeout reads the pipes to
    their end, closes them and waits for the process: nothing is left to release."""
    return (
        isinstance(call.callee, MemberExpr)
        and call.callee.name in CONSUMING_METHODS
        and without_timeout(call)
    )


def without_timeout(call: CallExpr) -> bool:
    """`communicate()`, `communicate(data)`, `communicate(input=data)`: not
    `communicate(data, 5)` nor `communicate(timeout=5)`, which may leave it running."""
    if any(kind.is_star() for kind in call.arg_kinds):
        return False  # `communicate(*args)`: a timeout may be among them
    positional = [name for name in call.arg_names if name is None]
    return len(positional) <= 1 and "timeout" not in call.arg_names



def rebinds_only_when_unset(stmt: Statement, name: str) -> bool:
    """`if sock is None: sock = bind(...)`: the branch that rebinds `name` runs only
    when it holds nothing, so the value bound before is not lost there."""
    if not (isinstance(stmt, IfStmt) and len(stmt.expr) == 1 and stmt.else_body is None):
        return False
    cond = stmt.expr[0]
    unset = (
        isinstance(cond, ComparisonExpr)
        and cond.operators == ["is"]
        and is_name(cond.operands[0], name)
        and is_name(cond.operands[1], "None")
    ) or (isinstance(cond, UnaryExpr) and cond.op == "not" and is_name(cond.expr, name))
    if not unset:
        return False
    body = stmt.body[0].body
    return not any(isinstance(s, (ReturnStmt, RaiseStmt)) for b in body for s in nested_statements(b))



def waits_without_pipes(stmt: Statement, name: str, value: Expression | None) -> bool:
    """`proc = Popen(cmd)` then `proc.wait()`: without pipes, waiting is all there is to
    release."""
    if isinstance(value, AwaitExpr):
        value = value.expr
    if not isinstance(value, CallExpr) or any(_is_pipe(arg) for arg in value.args):
        return False
    from mypy.server.subexpr import get_subexpressions

    if isinstance(stmt, ExpressionStmt):
        expr: Expression | None = stmt.expr
    elif isinstance(stmt, (AssignmentStmt, ReturnStmt)):
        expr = stmt.rvalue if isinstance(stmt, AssignmentStmt) else stmt.expr
    else:
        expr = None
    # `proc.wait()`, also where the statement uses its result: `return check(proc.wait())`.
    return expr is not None and any(
        isinstance(sub, CallExpr)
        and isinstance(sub.callee, MemberExpr)
        and sub.callee.name == "wait"
        and is_name(sub.callee.expr, name)
        for sub in [expr, *get_subexpressions(expr)]
    )



def chained_wait_without_pipes(call: CallExpr, method: str) -> bool:
    """`Popen(cmd).wait()`."""
    return method == "wait" and not any(_is_pipe(arg) for arg in call.args)



def _is_pipe(arg: Expression) -> bool:
    return isinstance(arg, (MemberExpr, NameExpr)) and arg.name == "PIPE"



def releases_now(stmt: Statement, name: str) -> bool:
    """`name.close()`, `out, err = name.communicate()` or `await name.serve_forever()` as
    a statement of its own."""
    value: Expression | None = None
    if isinstance(stmt, ExpressionStmt):
        value = stmt.expr
    elif isinstance(stmt, AssignmentStmt):
        value = stmt.rvalue
    awaited = isinstance(value, AwaitExpr)
    if isinstance(value, AwaitExpr):
        value = value.expr
    if value is None:
        return False
    if isinstance(stmt, ExpressionStmt) and _is_release_of(value, name, waits=False):
        return True
    return (
        isinstance(value, CallExpr)
        and isinstance(value.callee, MemberExpr)
        and (consumes(value) or (awaited and value.callee.name in CONSUMING_WHEN_AWAITED))
        and is_target(value.callee.expr, name)
    )



def releases(body: list[Statement], name: str) -> bool:
    """Whether these statements release `name` (see `_is_release_of`), also under a guard
    (`if owns: s.close()`) or, for a list of resources, in a loop (`for f in files: f.close()`)."""
    for stmt in body:
        if isinstance(stmt, ExpressionStmt):
            if _is_release_of(stmt.expr, name):
                return True
        elif isinstance(stmt, AssignmentStmt):
            if _is_release_of(stmt.rvalue, name):  # `result = await stack.__aexit__(...)`
                return True
        elif isinstance(stmt, ReturnStmt):
            if stmt.expr is not None and _is_release_of(stmt.expr, name):  # `return await proc.wait()`
                return True
        elif isinstance(stmt, IfStmt):
            if any(releases(b.body, name) for b in stmt.body) or (
                stmt.else_body is not None and releases(stmt.else_body.body, name)
            ):
                return True
        elif isinstance(stmt, (TryStmt, WithStmt)) and releases(stmt.body.body, name):
            return True
        elif (
            isinstance(stmt, ForStmt)
            and isinstance(stmt.index, NameExpr)
            and mentions(stmt.expr, name)
            and releases(stmt.body.body, stmt.index.name)
        ):
            return True
    return False



def releases_on_the_way_out(body: list[Statement], name: str) -> bool:
    """Whether the block releases `name` on every path through it: a top-level release
    that no statement before it can leave the block around (`return`, `raise`, `break`,
    `continue`, also inside an `if`)."""
    for stmt in body:
        if not isinstance(stmt, (IfStmt, TryStmt, WithStmt, ForStmt)) and releases([stmt], name):
            return True
        if any(isinstance(s, (ReturnStmt, RaiseStmt, BreakStmt, ContinueStmt)) for s in nested_statements(stmt)):
            return False
    return False


def guards_field(text: str, value: Expression | None, levels: Levels) -> bool:
    """Whether storing `value` into `text` (`self._session`), in the blocks `levels`, is
    guarded against replacing a value it holds: under an `if` that tests it, after a
    statement that releases or tests it, or from an expression that reads it
    (`self.s = self.s or Session()`)."""
    if value is not None and mentions_target(value, text):
        return True
    for depth, (body, after) in enumerate(levels):
        for stmt in body[: after - 1]:
            if releases([stmt], text) or (
                isinstance(stmt, IfStmt) and any(mentions_target(c, text) for c in stmt.expr)
            ):
                return True
        current = body[after - 1]
        if isinstance(current, IfStmt) and depth < len(levels) - 1:
            if any(mentions_target(c, text) for c in current.expr):
                return True
    return False



def is_flag(stmt: Statement, name: str) -> bool:
    """Bookkeeping that cannot raise and leaves `name` alone: `owns = True`, `closed =
    None`, an empty container (`tasks: list[Task[None]] = []`), an attribute read of
    the value itself (`path = tmp.name`), or a declaration alone (`length: int | None`)."""
    if not (
        isinstance(stmt, AssignmentStmt)
        and all(isinstance(lvalue, NameExpr) and lvalue.name != name for lvalue in stmt.lvalues)
    ):
        return False
    value = stmt.rvalue
    if isinstance(value, TempNode):
        return True
    if isinstance(value, (NameExpr, IntExpr, StrExpr, FloatExpr, BytesExpr)):
        return not is_name(value, name)
    if isinstance(value, (ListExpr, TupleExpr, DictExpr)):
        return not value.items
    return isinstance(value, MemberExpr) and is_name(value.expr, name)



def releases_before_leaving(stmt: Statement, name: str) -> bool:
    """An `if` whose branches that leave the function release `name` first: `if bad:
    f.close(); raise Error()`. Such a branch is no leak path; the others go on."""
    if not isinstance(stmt, IfStmt):
        return False
    branches = [*stmt.body, *([stmt.else_body] if stmt.else_body is not None else [])]
    leaving = [b for b in branches if any(ends_flow(inner, name) for inner in b.body)]
    return bool(leaving) and all(
        isinstance(b.body[-1], (RaiseStmt, ReturnStmt))
        and not (isinstance(b.body[-1], ReturnStmt) and b.body[-1].expr is not None and is_name(b.body[-1].expr, name))
        and releases(b.body[:-1], name)
        for b in leaving
    )



def _is_base_exception(expr: Expression | None) -> bool:
    return expr is None or (isinstance(expr, RefExpr) and expr.fullname == "builtins.BaseException")



def guards(stmt: TryStmt, name: str) -> bool:
    """A `try` with a bare `except:` or `except BaseException:` that releases `name`."""
    return any(
        _is_base_exception(typ) and releases(handler.body, name) for typ, handler in zip(stmt.types, stmt.handlers)
    )



def narrow_guard(stmt: TryStmt, name: str) -> str:
    """The exception class of an `except` narrower than `BaseException` (`Exception`,
    `OSError`) that releases `name` and re-raises, when no broad handler does; "" if
    there is none. Cancellation (`asyncio.CancelledError`), `KeyboardInterrupt` and
    `SystemExit` pass by such a handler."""
    if guards(stmt, name):
        return ""
    for typ, handler in zip(stmt.types, stmt.handlers):
        if (
            typ is not None
            and handler.body
            and isinstance(handler.body[-1], RaiseStmt)
            and handler.body[-1].expr is None
            and releases(handler.body, name)
        ):
            return describe(typ) or "Exception"
    return ""



def awaits_in(stmt: TryStmt) -> bool:
    """Whether the body of the `try` awaits (a point where the task can be cancelled)."""
    return any(
        isinstance(e, AwaitExpr)
        for inner in stmt.body.body
        for nested in nested_statements(inner)
        for e in expressions_of(nested)
    )
