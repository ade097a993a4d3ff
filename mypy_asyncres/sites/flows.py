"""What a function does with a value bound to a name: the statements that run after the
binding, the first use that decides its fate, and the ones that hand it on. Pure syntax
over mypy's nodes, used by the walker (collector.py); releases are in releases.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from mypy.nodes import (
    AssignmentStmt,
    AwaitExpr,
    BreakStmt,
    BytesExpr,
    CallExpr,
    CastExpr,
    DictionaryComprehension,
    Expression,
    ExpressionStmt,
    FloatExpr,
    ForStmt,
    GeneratorExpr,
    IfStmt,
    IndexExpr,
    IntExpr,
    ListExpr,
    MemberExpr,
    NameExpr,
    OperatorAssignmentStmt,
    PassStmt,
    RefExpr,
    ReturnStmt,
    SetExpr,
    Statement,
    StrExpr,
    TryStmt,
    TupleExpr,
    WhileStmt,
    WithStmt,
    YieldExpr,
    YieldFromExpr,
)

from mypy_asyncres.names import (
    RELEASE_CALLS,
)
from mypy_asyncres.sites.model import Kind, Levels, argument_key, is_name
from mypy_asyncres.sites.releases import is_flag, releases
from mypy_asyncres.sites.statements import ends_flow, expressions_of, mentions, nested_statements, stack_call


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
    subexpressions = [value, *get_subexpressions(value)]
    # `p.wait()` or `rc = p.wait()` alone, with no `await` (an awaited or wrapped wait
    # can time out or be cancelled).
    bare = value if not any(isinstance(sub, AwaitExpr) for sub in subexpressions) else None
    for sub in subexpressions:
        if isinstance(sub, CallExpr) and (
            (
                isinstance(sub.callee, MemberExpr)
                and is_name(sub.callee.expr, name)
                and not _cannot_fail(sub, sub.callee.name, bare)
            )
            or any(is_name(arg, name) for arg in sub.args)
        ):
            return True
    return False


# Settings of a fresh socket or file that do not fail on a valid descriptor (`bind`,
# `connect`, `setsockopt` with an option the system may lack, do), and a session's
# adapter table (`sess.mount(prefix, adapter)` only files the adapter).
_SETTERS_THAT_CANNOT_FAIL = frozenset({"set_inheritable", "setblocking", "set_blocking", "fileno", "mount"})


def _cannot_fail(call: CallExpr, method: str, bare: Expression | None) -> bool:
    """A call on the value that does not fail: a setting above, `proc.wait()` with no
    timeout that is the whole statement (`bare`, see calls_with), or a list's
    `append(name)`."""
    return (
        method in _SETTERS_THAT_CANNOT_FAIL
        or (method == "wait" and not call.args and call is bare)
        or (method in COLLECTION_ADDERS and all(isinstance(a, (NameExpr, IntExpr)) for a in call.args))
    )


def handles_its_errors(stmt: Statement, name: str) -> bool:
    """A `try` that keeps what its body raises, so nothing leaves it: `try: n =
    int(resp.headers["content-length"])`, `except (ValueError, KeyError): n = None`.
    Each handler is bookkeeping that cannot raise (or `pass`), and the body only reads
    `name`: a broad handler (`except Exception:`) keeps any error of code that does not
    await, yield or call `name`; narrow ones (see _raises_only_what_is_caught) only
    those of names bound to lookups and conversions whose errors they name."""
    if not isinstance(stmt, TryStmt) or not stmt.handlers:
        return False
    if stmt.finally_body is not None or stmt.else_body is not None:
        return False
    if not all(isinstance(h, PassStmt) or is_flag(h, name) for handler in stmt.handlers for h in handler.body):
        return False
    caught = {fullname for typ in stmt.types for fullname in _exception_names(typ)}
    broad = not caught.isdisjoint(_BROAD_EXCEPTIONS)
    for inner in stmt.body.body:
        if not isinstance(inner, (AssignmentStmt, ExpressionStmt)) or calls_with(inner, name):
            return False
        if ends_flow(inner, name) or (isinstance(inner, AssignmentStmt) and is_name(inner.rvalue, name)):
            return False
        if not broad and isinstance(inner, AssignmentStmt) and not all(isinstance(t, NameExpr) for t in inner.lvalues):
            return False  # unpacking, stores into items or attributes may raise anything
        for sub in expressions_of(inner):
            async_for = isinstance(sub, (GeneratorExpr, DictionaryComprehension)) and any(sub.is_async)
            if isinstance(sub, _SUSPENDING) or async_for:
                return False  # cancellation and a generator's close pass by `except Exception:`
            if not broad and not _raises_only_what_is_caught(sub, name, caught):
                return False
    return True


def _raises_only_what_is_caught(sub: Expression, name: str, caught: set[str]) -> bool:
    """A part of a statement that raises only what narrow handlers name: a read of a
    name, an attribute or a literal, a subscript of another value
    (`headers["content-length"]`: `KeyError`; another key: `LookupError`, or both
    `KeyError` and `IndexError`), `int(...)` / `float(...)` (`ValueError`). Operators
    and other calls may raise anything."""
    if isinstance(sub, (NameExpr, MemberExpr, IntExpr, StrExpr, FloatExpr, BytesExpr)):
        return True
    if isinstance(sub, IndexExpr):
        if mentions(sub.base, name):
            return False  # a lookup on the value itself runs its own code
        if "builtins.LookupError" in caught:
            return True
        return "builtins.KeyError" in caught and (isinstance(sub.index, StrExpr) or "builtins.IndexError" in caught)
    return (
        isinstance(sub, CallExpr)
        and isinstance(sub.callee, NameExpr)
        and sub.callee.fullname in _CONVERSIONS
        and "builtins.ValueError" in caught
    )


def _exception_names(typ: Expression | None) -> list[str]:
    if typ is None:
        return ["builtins.BaseException"]  # a bare `except:`
    if isinstance(typ, TupleExpr):
        return [name for item in typ.items for name in _exception_names(item)]
    return [typ.fullname] if isinstance(typ, RefExpr) else []


_BROAD_EXCEPTIONS = frozenset({"builtins.Exception", "builtins.BaseException"})
_CONVERSIONS = frozenset({"builtins.int", "builtins.float"})
_SUSPENDING = (AwaitExpr, YieldExpr, YieldFromExpr)


def statements_after(levels: Levels) -> Iterator[Statement]:
    """The statements that run after the one being walked, in order: the rest of its
    block, then (when the block is a branch of an `if`, a `with` body or a `try` body,
    whose `else` comes first) what follows the compound statement, and so on outwards.
    A loop's body stops it: the statement runs again on the next iteration; a `break` on
    the way goes on after the loop (`s = bind(port); break`, then `return s`)."""
    for depth in range(len(levels) - 1, -1, -1):
        body, start = levels[depth]
        for stmt in body[start:]:
            if isinstance(stmt, BreakStmt):
                loop = _enclosing_loop(levels, depth)
                if loop is not None:
                    yield from statements_after(levels[: loop + 1])
                    return
            yield stmt
        if depth == 0:
            return
        outer_body, outer_start = levels[depth - 1]
        compound = outer_body[outer_start - 1]
        if isinstance(compound, (ForStmt, WhileStmt)):
            return
        if isinstance(compound, TryStmt) and body is compound.body.body and compound.else_body is not None:
            yield from compound.else_body.body


def _enclosing_loop(levels: Levels, depth: int) -> int | None:
    """The level whose block holds the innermost loop around `levels[depth]`: its
    statements after the loop are where a `break` goes (the loop's `else` is skipped)."""
    for level in range(depth, 0, -1):
        outer_body, outer_start = levels[level - 1]
        if isinstance(outer_body[outer_start - 1], (ForStmt, WhileStmt)):
            return level - 1
    return None


def handed_on_in(stmt: TryStmt, name: str) -> tuple[Kind, Expression | None] | None:
    """`return name` or `self.x = name` in the body (or `else`) of a guarding `try`."""
    blocks = [stmt.body] + ([stmt.else_body] if stmt.else_body is not None else [])
    for block in blocks:
        for inner in block.body:
            for nested in nested_statements(inner):
                if isinstance(nested, ReturnStmt) and _hands_back(nested.expr, name):
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
        if not _hands_back(last.expr, name):
            return False
    return True


def _hands_back(value: Expression | None, name: str) -> bool:
    """`name` as it is, cast, given to the returned call, or any of those as a member of
    a returned tuple (`return wrap(left), wrap(right)`)."""
    if isinstance(value, TupleExpr):
        return any(_hands_back(item, name) for item in value.items)
    if isinstance(value, CallExpr) and isinstance(value.analyzed, CastExpr):
        value = value.analyzed.expr
    return is_name(value, name) or (isinstance(value, CallExpr) and any(is_name(arg, name) for arg in value.args))


COLLECTION_ADDERS = frozenset({"append", "add", "appendleft", "insert"})
_CALLBACK_METHODS = frozenset({"callback", "push_async_callback"})


def _stored_member(stmt: AssignmentStmt, name: str) -> Expression | None:
    """The attribute or item that `a, b = x, name` stores `name` in, if it is one."""
    if len(stmt.lvalues) != 1:
        return None
    target, value = stmt.lvalues[0], stmt.rvalue
    if not (isinstance(target, TupleExpr) and isinstance(value, TupleExpr) and len(target.items) == len(value.items)):
        return None
    for lvalue, item in zip(target.items, value.items):
        if is_name(item, name):
            return lvalue if isinstance(lvalue, (MemberExpr, IndexExpr)) else None
    return None


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
        # `return name`, `return wrap(name)`, and either as a member of a returned tuple
        # (`return wrap(left), wrap(right)`): a member is handed out as the whole is.
        returned = stmt.expr.items if isinstance(stmt.expr, TupleExpr) else [stmt.expr]
        for value in returned:
            if is_name(value, name):
                return Kind.BOUND_THEN_RETURNED, None, None, ""
            if isinstance(value, AwaitExpr):
                value = value.expr
            if isinstance(value, CallExpr) and value.analyzed is None:
                # Handed to what is returned (its parameter decides).
                for i, (arg, arg_name) in enumerate(zip(value.args, value.arg_names)):
                    if _holds(arg, name):
                        return Kind.BOUND_THEN_PASSED, None, value, argument_key(i, arg_name)
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
        if len(stmt.lvalues) == 1 and isinstance(target, (MemberExpr, IndexExpr)) and _holds(stmt.rvalue, name):
            return Kind.STORED, target, None, ""  # `self._session = session`, `self.servers = [server]`
        member = _stored_member(stmt, name)
        if member is not None:
            return Kind.STORED, member, None, ""  # `self._reader, self._writer = reader, writer`
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
            if isinstance(arg, MemberExpr) and arg.name in RELEASE_CALLS and is_name(arg.expr, name):
                return Kind.BOUND_THEN_CALLBACK, None, None, ""
        for i, (arg, arg_name) in enumerate(zip(value.args, value.arg_names)):
            if _holds(arg, name):
                return Kind.BOUND_THEN_PASSED, None, value, argument_key(i, arg_name)
    return Kind.BOUND, None, None, ""


def _holds(expr: Expression, name: str) -> bool:
    """`name`, or a list, tuple or set display with it (`Listener(conn, [server])`): what
    is done with the display is done with it."""
    if isinstance(expr, (ListExpr, TupleExpr, SetExpr)):
        return any(is_name(item, name) for item in expr.items)
    return is_name(expr, name)


