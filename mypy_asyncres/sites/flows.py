"""What a function does with a value bound to a name: the statements that run after the
binding, the ones that release it (in a `finally`, a guarding `except`), hand it on, or
end the flow. Pure syntax over mypy's nodes, used by the walker (sites.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from mypy.nodes import (
    AssertStmt,
    BreakStmt,
    ContinueStmt,
    BytesExpr,
    FloatExpr,
    IntExpr,
    StrExpr,
    AssignmentStmt,
    AwaitExpr,
    Block,
    CallExpr,
    CastExpr,
    ComparisonExpr,
    DelStmt,
    DictExpr,
    Expression,
    ExpressionStmt,
    ForStmt,
    IfStmt,
    IndexExpr,
    ListExpr,
    MatchStmt,
    MemberExpr,
    NameExpr,
    OperatorAssignmentStmt,
    RaiseStmt,
    RefExpr,
    ReturnStmt,
    Statement,
    TryStmt,
    TupleExpr,
    UnaryExpr,
    WhileStmt,
    WithStmt,
)

from mypy_asyncres.names import (
    CONSUMING_METHODS,
    RELEASE_BY_ARGUMENT_METHODS,
    RELEASE_METHODS,
    STACK_METHODS,
)


from mypy_asyncres.sites.model import Kind, describe, is_name


def is_target(expr: Expression, name: str) -> bool:
    """`expr` is the local `name`, or the attribute `name` spells (`self.x`)."""
    if "." in name:
        return isinstance(expr, MemberExpr) and describe(expr) == name
    return is_name(expr, name)


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


def _is_release_of(expr: Expression, name: str) -> bool:
    """`name.close()` (or another release call, see names.RELEASE_METHODS), or `pool.release(name)`."""
    if isinstance(expr, AwaitExpr):
        expr = expr.expr
    if not (isinstance(expr, CallExpr) and isinstance(expr.callee, MemberExpr)):
        return False
    method = expr.callee.name
    receiver = expr.callee.expr
    if isinstance(receiver, CallExpr) and isinstance(receiver.analyzed, CastExpr):
        receiver = receiver.analyzed.expr  # `cast(AsyncContextManager[Any], self._stack).__aexit__(...)`
    if method in RELEASE_METHODS:
        return is_target(receiver, name)
    if method in RELEASE_BY_ARGUMENT_METHODS:
        # `pool.release(conn)` gives it back; `resp.release()` (aiohttp) releases itself.
        return is_target(expr.args[0], name) if expr.args else is_target(receiver, name)
    return False


def consumes(call: CallExpr) -> bool:
    """`proc.communicate()` without a timeout reads the pipes to their end, closes them
    and waits for the process: nothing is left to release."""
    return (
        isinstance(call.callee, MemberExpr)
        and call.callee.name in CONSUMING_METHODS
        and not call.args
    )


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
    """`name.close()` or `out, err = name.communicate()` as a statement of its own."""
    value: Expression | None = None
    if isinstance(stmt, ExpressionStmt):
        value = stmt.expr
    elif isinstance(stmt, AssignmentStmt):
        value = stmt.rvalue
    if isinstance(value, AwaitExpr):
        value = value.expr
    if value is None:
        return False
    if isinstance(stmt, ExpressionStmt) and _is_release_of(value, name):
        return True
    return (
        isinstance(value, CallExpr)
        and isinstance(value.callee, MemberExpr)
        and consumes(value)
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
            and _mentions(stmt.expr, name)
            and releases(stmt.body.body, stmt.index.name)
        ):
            return True
    return False


def _mentions(expr: Expression, name: str) -> bool:
    """`name`, `name.values()`, `list(name)`, `reversed(name)`: what a loop over a collection reads."""
    if isinstance(expr, CallExpr):
        if isinstance(expr.callee, MemberExpr):
            return is_name(expr.callee.expr, name)
        return len(expr.args) == 1 and _mentions(expr.args[0], name)
    return is_name(expr, name)


def mentions_target(expr: Expression, text: str) -> bool:
    """Whether an expression reads `text` (`self._session`, or a local name)."""
    from mypy.server.subexpr import get_subexpressions

    return any(
        isinstance(sub, (MemberExpr, NameExpr)) and describe(sub) == text for sub in [expr, *get_subexpressions(expr)]
    )


def calls_with(stmt: Statement, name: str) -> bool:
    """Whether a simple statement calls a method of `name` or passes it to a call
    (`sock.connect(addr)`, `configure(sock)`): a use that can raise."""
    from mypy.server.subexpr import get_subexpressions

    if isinstance(stmt, ExpressionStmt):
        value: Expression = stmt.expr
    elif isinstance(stmt, AssignmentStmt):
        value = stmt.rvalue
    else:
        return False
    for sub in [value, *get_subexpressions(value)]:
        if isinstance(sub, CallExpr) and (
            (isinstance(sub.callee, MemberExpr) and is_name(sub.callee.expr, name))
            or any(is_name(arg, name) for arg in sub.args)
        ):
            return True
    return False


def guards_field(text: str, value: Expression | None, levels: list[tuple[list[Statement], int]]) -> bool:
    """Whether storing `value` into `text` (`self._session`), in the blocks `levels`, is
    guarded against replacing a value it holds: under an `if` that tests it, after a
    statement that releases or tests it, or from an expression that reads it
    (`self.s = self.s or Session()`)."""
    if value is not None and mentions_target(value, text):
        return True
    for depth, (body, after) in enumerate(levels):
        for stmt in body[: after - 1]:
            if releases([stmt], text) or (isinstance(stmt, IfStmt) and any(mentions_target(c, text) for c in stmt.expr)):
                return True
        current = body[after - 1]
        if isinstance(current, IfStmt) and depth < len(levels) - 1:
            if any(mentions_target(c, text) for c in current.expr):
                return True
    return False


def is_flag(stmt: Statement, name: str) -> bool:
    """Bookkeeping that cannot raise and leaves `name` alone: `owns = True`, `closed =
    None`, an empty container (`tasks: list[Task[None]] = []`), or an attribute read of
    the value itself (`path = tmp.name`)."""
    if not (
        isinstance(stmt, AssignmentStmt)
        and all(isinstance(lvalue, NameExpr) and lvalue.name != name for lvalue in stmt.lvalues)
    ):
        return False
    value = stmt.rvalue
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


def statements_after(levels: list[tuple[list[Statement], int]]) -> Iterator[Statement]:
    """The statements that run after the one being walked, in order: the rest of its
    block, then (when the block is a branch of an `if`, a `with` body or a `try` body,
    whose `else` comes first) what follows the compound statement, and so on outwards.
    A loop's body stops it: the statement runs again on the next iteration."""
    for depth in range(len(levels) - 1, -1, -1):
        body, start = levels[depth]
        yield from body[start:]
        if depth == 0:
            return
        outer_body, outer_start = levels[depth - 1]
        compound = outer_body[outer_start - 1]
        if isinstance(compound, (ForStmt, WhileStmt)):
            return
        if isinstance(compound, TryStmt) and body is compound.body.body and compound.else_body is not None:
            yield from compound.else_body.body


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
        for e in _expressions_of(nested)
    )


def _expressions_of(stmt: Statement) -> list[Expression]:
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


def handed_on_in(stmt: TryStmt, name: str) -> tuple[Kind, Expression | None] | None:
    """`return name` or `self.x = name` in the body (or `else`) of a guarding `try`."""
    blocks = [stmt.body] + ([stmt.else_body] if stmt.else_body is not None else [])
    for block in blocks:
        for inner in block.body:
            for nested in nested_statements(inner):
                if isinstance(nested, ReturnStmt) and (
                    is_name(nested.expr, name)
                    or (isinstance(nested.expr, CallExpr) and _passes(nested.expr, name))
                ):
                    # (`return Wrapped(socket=sock)`: guarded, the wrapper takes it.)
                    return Kind.BOUND_THEN_RETURNED, None
                if (
                    isinstance(nested, AssignmentStmt)
                    and is_name(nested.rvalue, name)
                    and isinstance(nested.lvalues[0], (MemberExpr, IndexExpr))
                ):
                    return Kind.STORED, nested.lvalues[0]
    return None


def every_branch_returns(stmt: Statement, name: str) -> bool:
    """An `if` with an `else` each branch of which returns `name` (as it is, cast, or
    given to the returned call): `if fresh: return wrap(resp)` / `else: return resp`."""
    if not isinstance(stmt, IfStmt) or stmt.else_body is None:
        return False
    for block in [*stmt.body, stmt.else_body]:
        last = block.body[-1] if block.body else None
        if not isinstance(last, ReturnStmt) or last.expr is None:
            return False
        value = last.expr
        if isinstance(value, CallExpr) and isinstance(value.analyzed, CastExpr):
            value = value.analyzed.expr
        if not (is_name(value, name) or (isinstance(value, CallExpr) and _passes(value, name))):
            return False
    return True


def _passes(call: CallExpr, name: str) -> bool:
    return any(is_name(arg, name) for arg in call.args)


def ends_flow(stmt: Statement, name: str) -> bool:
    """Whether a statement may leave the function (or the loop) or rebind `name`, so that
    what comes after it no longer decides the value's fate. (Read for every statement
    after a binding: simple statements are decided without walking.)"""
    if isinstance(stmt, (ExpressionStmt, OperatorAssignmentStmt, AssertStmt)):
        return False
    if isinstance(stmt, AssignmentStmt):
        return any(is_name(lvalue, name) for lvalue in stmt.lvalues)
    if isinstance(stmt, (ReturnStmt, RaiseStmt, BreakStmt, ContinueStmt)):
        return True
    if isinstance(stmt, DelStmt):
        return is_name(stmt.expr, name)
    if isinstance(stmt, WithStmt) and any(is_name(e, name) for e in stmt.expr):
        return True  # entered on one branch only
    return any(ends_flow(inner, name) for block in blocks_of(stmt) for inner in block.body)


def blocks_of(stmt: Statement) -> list[Block]:
    """The blocks of a compound statement (not of nested functions or classes)."""
    blocks: list[Block | None]
    if isinstance(stmt, (WithStmt, ForStmt, WhileStmt)):
        blocks = [stmt.body, getattr(stmt, "else_body", None)]
    elif isinstance(stmt, IfStmt):
        blocks = [*stmt.body, stmt.else_body]
    elif isinstance(stmt, TryStmt):
        blocks = [stmt.body, *stmt.handlers, stmt.else_body, stmt.finally_body]
    elif isinstance(stmt, MatchStmt):
        blocks = list(stmt.bodies)
    elif isinstance(stmt, Block):
        blocks = [stmt]
    else:
        return []
    return [block for block in blocks if block is not None]


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


COLLECTION_ADDERS = frozenset({"append", "add", "appendleft", "insert"})
_CALLBACK_METHODS = frozenset({"callback", "push_async_callback"})


def next_use(name: str, stmt: Statement) -> tuple[Kind, Expression | None, CallExpr | None, str]:
    """What the first statement that runs after `name = <call>` does with name:
    (kind, attribute stored in, call passed to, argument)."""
    if isinstance(stmt, WithStmt) and any(is_name(e, name) for e in stmt.expr):
        return Kind.BOUND_THEN_WITH, None, None, ""
    if isinstance(stmt, TryStmt):
        # `try: with out, src: ...`, also after bookkeeping (`self._level += 1`).
        for first in stmt.body.body:
            if is_flag(first, name) or (
                isinstance(first, OperatorAssignmentStmt) and isinstance(first.rvalue, (IntExpr, NameExpr))
            ):
                continue
            if isinstance(first, WithStmt) and any(is_name(e, name) for e in first.expr):
                return Kind.BOUND_THEN_WITH, None, None, ""
            break
    if isinstance(stmt, ReturnStmt):
        if is_name(stmt.expr, name):
            return Kind.BOUND_THEN_RETURNED, None, None, ""
        # `return wrap(name)`: handed to what is returned (its parameter decides).
        value = stmt.expr.expr if isinstance(stmt.expr, AwaitExpr) else stmt.expr
        if isinstance(value, CallExpr) and value.analyzed is None:
            for i, (arg, arg_name) in enumerate(zip(value.args, value.arg_names)):
                if is_name(arg, name):
                    return Kind.BOUND_THEN_PASSED, None, value, arg_name if arg_name is not None else f"#{i}"
        return Kind.BOUND, None, None, ""
    if isinstance(stmt, TryStmt):
        if stmt.finally_body is not None and releases(stmt.finally_body.body, name):
            return Kind.BOUND_THEN_FINALLY, None, None, ""
        return Kind.BOUND, None, None, ""
    values: list[Expression] = []
    if isinstance(stmt, ExpressionStmt):
        values = [stmt.expr]
    elif isinstance(stmt, AssignmentStmt):
        target = stmt.lvalues[0]
        if len(stmt.lvalues) == 1 and isinstance(target, (MemberExpr, IndexExpr)) and is_name(stmt.rvalue, name):
            return Kind.STORED, target, None, ""  # `self._session = session`
        values = [stmt.rvalue]
    elif isinstance(stmt, WithStmt):
        values = list(stmt.expr)  # `async with ClientSession(connector=connector)`
    for value in values:
        if isinstance(value, AwaitExpr):
            value = value.expr
        if not isinstance(value, CallExpr) or value.analyzed is not None:
            continue  # (`reveal_type(x)`, `cast(T, x)`: special forms, not calls)
        stacked = stack_call(value)
        if stacked is not None and is_name(stacked.args[0], name):
            return Kind.BOUND_THEN_STACK, None, None, ""
        callee = value.callee
        if isinstance(callee, MemberExpr) and callee.name in _CALLBACK_METHODS and value.args:
            # `stack.push_async_callback(s.close)`: the stack releases it on exit.
            arg = value.args[0]
            if isinstance(arg, MemberExpr) and arg.name in RELEASE_METHODS and is_name(arg.expr, name):
                return Kind.BOUND_THEN_CALLBACK, None, None, ""
        for i, (arg, arg_name) in enumerate(zip(value.args, value.arg_names)):
            if is_name(arg, name):
                return Kind.BOUND_THEN_PASSED, None, value, arg_name if arg_name is not None else f"#{i}"
    return Kind.BOUND, None, None, ""


