"""The vocabulary of call sites: where a call's value goes (`Kind`), the function it sits
in, and the site record the walker (collector.py, expressions.py) makes for each call."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mypy.nodes import (
    CallExpr,
    Expression,
    FuncItem,
    IndexExpr,
    LambdaExpr,
    MemberExpr,
    NameExpr,
    RefExpr,
    Statement,
    WithStmt,
)

from mypy_asyncres.names import CONTEXTMANAGER_DECORATORS, ENTER_METHODS, MUST_ENTER

# The blocks enclosing a statement, outermost first, each with the index of the statement
# after the one in it that encloses (or is) the statement.
Levels = list[tuple[list[Statement], int]]


class Kind(enum.Enum):
    WITH = "with item"
    STACK = "passed to an exit stack"
    AWAITED = "awaited"  # the call's own value; the await expression has its own site
    RETURNED = "returned"
    BOUND = "bound to a name"
    BOUND_THEN_WITH = "bound, then entered"
    BOUND_THEN_STACK = "bound, then passed to an exit stack"
    BOUND_THEN_RETURNED = "bound, then returned"
    BOUND_THEN_FINALLY = "bound, then released in a finally"
    BOUND_THEN_CALLBACK = "bound, then its release handed to an exit stack"
    BOUND_THEN_PASSED = "bound, then passed as an argument"
    BOUND_THEN_RELEASED = "bound, then released before anything can raise"
    # Released by an `except Exception:` that cancellation (or KeyboardInterrupt) skips.
    BOUND_THEN_NARROW_GUARD = "bound, then released by a narrow except"
    # Used by calls that can raise, then returned or stored (`handed_on`: stored).
    USED_BEFORE_HANDOFF = "used, then handed on"
    STORED = "stored in an attribute or item"
    DISCARDED = "discarded"
    PASSED = "passed as an argument"
    CONTAINER = "put in a container"
    CHAINED = "used directly"
    YIELDED = "yielded"
    DECORATOR = "used as a decorator"
    EXPRESSION = "used in an expression"
    UNPACKED = "unpacked into names"  # `lease, n = f()`: `items` are the targets' sites
    INDEXED = "indexed"  # `f()[0]`: `index`, and `items[0]` the site of the member
    TYPE_CHECK = "in a type assertion"  # `assert_type(open(p), TextIO)`: never meant to run


@dataclass(frozen=True, eq=False, slots=True)
class Function:
    """The function a call sits in, with the facts the rules need."""

    node: FuncItem
    name: str
    is_lambda: bool
    is_enter_method: bool  # __enter__ / __aenter__
    is_context_manager_body: bool  # @contextmanager / @asynccontextmanager
    is_marked: bool  # @must_enter factory

    @property
    def is_plain_def(self) -> bool:
        """No `await` nor `async with` here (`loop.run_until_complete(...)` is the await)."""
        return not self.node.is_coroutine


@dataclass(slots=True, eq=False)  # not frozen: the walker makes many, and frozen init is slow
class Site:
    kind: Kind
    detail: str = ""  # the name bound to, the callee passed to, the attribute used, ...
    function: Function | None = None
    callee: str = ""  # PASSED: the fullname of the callee, when it names one
    # PASSED, BOUND_THEN_PASSED: the call it is an argument of, and which: a keyword
    # name or "#<position>".
    outer: CallExpr | None = None
    argument: str = ""
    # STORED: the attribute or item it is stored in (its object's type decides the owner),
    # and the other targets of a chained assignment (`self._bare = self._io = writer`).
    target: Expression | None = None
    also: list[Expression] | None = None
    # BOUND_THEN_NARROW_GUARD: the exception class caught, whether the `try` awaits (and
    # so can be cancelled), and whether the value is handed on (returned, stored) after.
    caught: str = ""
    cancellable: bool = False
    handed_on: bool = False
    # STORED in `self.<attr>` by a method: the value stored (with `levels`, for whether
    # the attribute's old value is tested or released first, releases.guards_field).
    stored_value: Expression | None = None
    # UNPACKED, INDEXED: the sites of a tuple's members (see Kind).
    items: list[Site] | None = None
    index: int = -1
    # WITH, for an item bound to a name (`with open(p) as f:`): the statement and the
    # enclosing blocks (see sites.Collector.levels), for what follows its exit.
    statement: WithStmt | None = None
    levels: Levels | None = None
    # BOUND: entered later, after statements that do not touch it (what decides for a
    # value that holds nothing until it is entered, see rules/not_entered.py).
    entered_later: bool = False


@dataclass(slots=True, eq=False)
class CallSite:
    call: CallExpr
    site: Site
    awaited: Site | None  # the site of `await call`, when the call is awaited directly


def describe(expr: Expression) -> str:
    """A short source-like rendering of a target or callee: `self.session`, `f`."""
    if isinstance(expr, NameExpr):
        return expr.name
    if isinstance(expr, MemberExpr):
        inner = describe(expr.expr)
        return f"{inner}.{expr.name}" if inner else expr.name
    if isinstance(expr, IndexExpr):
        inner = describe(expr.base)
        return f"{inner}[...]" if inner else ""
    return ""


def passes_true(call: CallExpr, keywords: tuple[str, ...]) -> bool:
    """Whether the call passes one of these keywords as `True` (`stream=True`)."""
    return any(
        name in keywords and isinstance(value, NameExpr) and value.fullname == "builtins.True"
        for name, value in zip(call.arg_names, call.args)
    )


def is_name(expr: Expression | None, name: str) -> bool:
    return isinstance(expr, NameExpr) and expr.name == name


def function_facts(func: FuncItem, decorators: list[Expression]) -> Function:
    is_lambda = isinstance(func, LambdaExpr)
    return Function(
        node=func,
        name="<lambda>" if is_lambda else func.name,
        is_lambda=is_lambda,
        is_enter_method=not is_lambda and func.name in ENTER_METHODS,
        is_context_manager_body=any(
            isinstance(d, RefExpr) and d.fullname in CONTEXTMANAGER_DECORATORS for d in decorators
        ),
        is_marked=any(isinstance(d, RefExpr) and d.fullname in MUST_ENTER for d in decorators),
    )


def argument_key(index: int, keyword: str | None) -> str:
    """How a site names the argument it is: its keyword, or "#<position>"."""
    return keyword if keyword is not None else f"#{index}"


def argument_position(key: str) -> int | None:
    """The position an argument key names, None for a keyword."""
    return int(key[1:]) if key.startswith("#") else None
