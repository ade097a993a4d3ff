"""Where a call sits: the syntactic facts mypy does not give plugins.

A call hook sees the call, not whether it is a `with` item, returned, bound or
passed on. The collector here walks statements and records, for every call, the
place its value goes (site_index.py decides which statements to walk). It
dispatches on node classes itself: compiled mypy refuses interpreted subclasses of
its visitor classes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from mypy.nodes import (
    AssertStmt,
    BreakStmt,
    ContinueStmt,
    BytesExpr,
    ComplexExpr,
    EllipsisExpr,
    FloatExpr,
    IntExpr,
    StrExpr,
    AssertTypeExpr,
    AssignmentExpr,
    AssignmentStmt,
    AwaitExpr,
    Block,
    CallExpr,
    CastExpr,
    ClassDef,
    ComparisonExpr,
    ConditionalExpr,
    Decorator,
    DelStmt,
    DictExpr,
    DictionaryComprehension,
    Expression,
    ExpressionStmt,
    ForStmt,
    FuncDef,
    FuncItem,
    GeneratorExpr,
    IfStmt,
    IndexExpr,
    LambdaExpr,
    ListComprehension,
    ListExpr,
    MatchStmt,
    MemberExpr,
    NameExpr,
    OperatorAssignmentStmt,
    OpExpr,
    OverloadedFuncDef,
    RaiseStmt,
    RefExpr,
    ReturnStmt,
    SetComprehension,
    SetExpr,
    SliceExpr,
    StarExpr,
    Statement,
    TryStmt,
    TupleExpr,
    UnaryExpr,
    WhileStmt,
    WithStmt,
    YieldExpr,
    YieldFromExpr,
)

from mypy_asyncres.names import (
    CONTEXTMANAGER_DECORATORS,
    ENTER_METHODS,
    MUST_ENTER,
    RELEASE_BY_ARGUMENT_METHODS,
    RELEASE_METHODS,
    STACK_METHODS,
)


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
    STORED = "stored in an attribute or item"
    DISCARDED = "discarded"
    PASSED = "passed as an argument"
    CONTAINER = "put in a container"
    CHAINED = "used directly"
    YIELDED = "yielded"
    DECORATOR = "used as a decorator"
    EXPRESSION = "used in an expression"
    TYPE_CHECK = "in a type assertion"  # `assert_type(open(p), TextIO)`: never meant to run


@dataclass(frozen=True, eq=False, slots=True)
class Function:
    """The function a call sits in, with the facts the verdict needs."""

    node: FuncItem
    name: str
    is_lambda: bool
    is_enter_method: bool  # __enter__ / __aenter__
    is_context_manager_body: bool  # @contextmanager / @asynccontextmanager
    is_marked: bool  # @must_enter factory


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
    # STORED: the attribute or item it is stored in (its object's type decides the owner).
    target: Expression | None = None


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


def _is_name(expr: Expression | None, name: str) -> bool:
    return isinstance(expr, NameExpr) and expr.name == name


def _stack_call(expr: Expression) -> CallExpr | None:
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
    if method in RELEASE_METHODS:
        return _is_name(expr.callee.expr, name)
    return method in RELEASE_BY_ARGUMENT_METHODS and bool(expr.args) and _is_name(expr.args[0], name)


def _releases(body: list[Statement], name: str) -> bool:
    """Whether these statements release `name` (see `_is_release_of`), also under a guard
    (`if owns: s.close()`) or, for a list of resources, in a loop (`for f in files: f.close()`)."""
    for stmt in body:
        if isinstance(stmt, ExpressionStmt):
            if _is_release_of(stmt.expr, name):
                return True
        elif isinstance(stmt, IfStmt):
            if any(_releases(b.body, name) for b in stmt.body) or (
                stmt.else_body is not None and _releases(stmt.else_body.body, name)
            ):
                return True
        elif isinstance(stmt, (TryStmt, WithStmt)) and _releases(stmt.body.body, name):
            return True
        elif (
            isinstance(stmt, ForStmt)
            and isinstance(stmt.index, NameExpr)
            and _mentions(stmt.expr, name)
            and _releases(stmt.body.body, stmt.index.name)
        ):
            return True
    return False


def _mentions(expr: Expression, name: str) -> bool:
    """`name`, `name.values()`, `list(name)`, `reversed(name)`: what a loop over a collection reads."""
    if isinstance(expr, CallExpr):
        if isinstance(expr.callee, MemberExpr):
            return _is_name(expr.callee.expr, name)
        return len(expr.args) == 1 and _mentions(expr.args[0], name)
    return _is_name(expr, name)


def _is_flag(stmt: Statement, name: str) -> bool:
    """`owns = True`, `closed = None`: bookkeeping that runs no code and leaves `name` alone."""
    return (
        isinstance(stmt, AssignmentStmt)
        and all(isinstance(lvalue, NameExpr) and lvalue.name != name for lvalue in stmt.lvalues)
        and isinstance(stmt.rvalue, (NameExpr, IntExpr, StrExpr, FloatExpr, BytesExpr))
        and not _is_name(stmt.rvalue, name)
    )


def _statements_after(levels: list[tuple[list[Statement], int]]) -> Iterator[Statement]:
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


def _guards(stmt: TryStmt, name: str) -> bool:
    """A `try` with a bare `except:` or `except BaseException:` that releases `name`."""
    return any(
        _is_base_exception(typ) and _releases(handler.body, name) for typ, handler in zip(stmt.types, stmt.handlers)
    )


def _handed_on_in(stmt: TryStmt, name: str) -> tuple[Kind, Expression | None] | None:
    """`return name` or `self.x = name` in the body (or `else`) of a guarding `try`."""
    blocks = [stmt.body] + ([stmt.else_body] if stmt.else_body is not None else [])
    for block in blocks:
        for inner in block.body:
            for nested in nested_statements(inner):
                if isinstance(nested, ReturnStmt) and _is_name(nested.expr, name):
                    return Kind.BOUND_THEN_RETURNED, None
                if (
                    isinstance(nested, AssignmentStmt)
                    and _is_name(nested.rvalue, name)
                    and isinstance(nested.lvalues[0], (MemberExpr, IndexExpr))
                ):
                    return Kind.STORED, nested.lvalues[0]
    return None


def _ends_flow(stmt: Statement, name: str) -> bool:
    """Whether a statement may leave the function (or the loop) or rebind `name`, so that
    what comes after it no longer decides the value's fate. (Read for every statement
    after a binding: simple statements are decided without walking.)"""
    if isinstance(stmt, (ExpressionStmt, OperatorAssignmentStmt, AssertStmt)):
        return False
    if isinstance(stmt, AssignmentStmt):
        return any(_is_name(lvalue, name) for lvalue in stmt.lvalues)
    if isinstance(stmt, (ReturnStmt, RaiseStmt, BreakStmt, ContinueStmt)):
        return True
    if isinstance(stmt, DelStmt):
        return _is_name(stmt.expr, name)
    if isinstance(stmt, WithStmt) and any(_is_name(e, name) for e in stmt.expr):
        return True  # entered on one branch only
    return any(_ends_flow(inner, name) for block in blocks_of(stmt) for inner in block.body)


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


_COLLECTION_ADDERS = frozenset({"append", "add", "appendleft", "insert"})
_CALLBACK_METHODS = frozenset({"callback", "push_async_callback"})


def _next_use(name: str, stmt: Statement) -> tuple[Kind, Expression | None, CallExpr | None, str]:
    """What the first statement that runs after `name = <call>` does with name:
    (kind, attribute stored in, call passed to, argument)."""
    if isinstance(stmt, WithStmt) and any(_is_name(e, name) for e in stmt.expr):
        return Kind.BOUND_THEN_WITH, None, None, ""
    if isinstance(stmt, ReturnStmt):
        if _is_name(stmt.expr, name):
            return Kind.BOUND_THEN_RETURNED, None, None, ""
        # `return wrap(name)`: handed to what is returned (its parameter decides).
        value = stmt.expr.expr if isinstance(stmt.expr, AwaitExpr) else stmt.expr
        if isinstance(value, CallExpr) and value.analyzed is None:
            for i, (arg, arg_name) in enumerate(zip(value.args, value.arg_names)):
                if _is_name(arg, name):
                    return Kind.BOUND_THEN_PASSED, None, value, arg_name if arg_name is not None else f"#{i}"
        return Kind.BOUND, None, None, ""
    if isinstance(stmt, TryStmt):
        if stmt.finally_body is not None and _releases(stmt.finally_body.body, name):
            return Kind.BOUND_THEN_FINALLY, None, None, ""
        return Kind.BOUND, None, None, ""
    values: list[Expression] = []
    if isinstance(stmt, ExpressionStmt):
        values = [stmt.expr]
    elif isinstance(stmt, AssignmentStmt):
        target = stmt.lvalues[0]
        if len(stmt.lvalues) == 1 and isinstance(target, (MemberExpr, IndexExpr)) and _is_name(stmt.rvalue, name):
            return Kind.STORED, target, None, ""  # `self._session = session`
        values = [stmt.rvalue]
    elif isinstance(stmt, WithStmt):
        values = list(stmt.expr)  # `async with ClientSession(connector=connector)`
    for value in values:
        if isinstance(value, AwaitExpr):
            value = value.expr
        if not isinstance(value, CallExpr) or value.analyzed is not None:
            continue  # (`reveal_type(x)`, `cast(T, x)`: special forms, not calls)
        stack_call = _stack_call(value)
        if stack_call is not None and _is_name(stack_call.args[0], name):
            return Kind.BOUND_THEN_STACK, None, None, ""
        callee = value.callee
        if isinstance(callee, MemberExpr) and callee.name in _CALLBACK_METHODS and value.args:
            # `stack.push_async_callback(s.close)`: the stack releases it on exit.
            arg = value.args[0]
            if isinstance(arg, MemberExpr) and arg.name in RELEASE_METHODS and _is_name(arg.expr, name):
                return Kind.BOUND_THEN_CALLBACK, None, None, ""
        for i, (arg, arg_name) in enumerate(zip(value.args, value.arg_names)):
            if _is_name(arg, name):
                return Kind.BOUND_THEN_PASSED, None, value, arg_name if arg_name is not None else f"#{i}"
    return Kind.BOUND, None, None, ""


# Sites that a container passes on to its items.
_KEPT_BY_CONTAINER = frozenset({Kind.STORED, Kind.BOUND_THEN_FINALLY, Kind.RETURNED})


# What hands a bound value to other code for good, even after statements that use it.
_HANDED_OUT = frozenset({Kind.BOUND_THEN_RETURNED, Kind.STORED})


# Kinds whose value is handed on unchanged by a transparent wrapper (`a or b`,
# `x if c else y`, `cast(T, x)`, `(n := x)`).
_HANDED_ON = frozenset({Kind.WITH, Kind.STACK, Kind.RETURNED})


# Arguments whose value may be a call's own value (a PASSED site is made for them only).
_MAY_PASS_A_CALL = (CallExpr, AwaitExpr, ConditionalExpr, OpExpr, CastExpr, AssignmentExpr)


# Expressions that hold no other expression (the most common ones first).
_LEAVES = (NameExpr, StrExpr, IntExpr, BytesExpr, FloatExpr, EllipsisExpr, ComplexExpr)


class Collector:
    def __init__(self) -> None:
        self.calls: dict[int, CallSite] = {}
        self.function: Function | None = None
        self._shared: dict[tuple[Kind, Function | None], Site] = {}
        # In the current function, the enclosing blocks, each with the index of the
        # statement after the one being walked in it (outermost first), and the `finally`
        # bodies of the `try` statements around the walk.
        self.levels: list[tuple[list[Statement], int]] = []
        self.finallies: list[Block] = []

    # ---- statements --------------------------------------------------------

    def block(self, body: list[Statement]) -> None:
        last = len(body) - 1
        levels = self.levels
        levels.append((body, 0))
        for i, stmt in enumerate(body):
            levels[-1] = (body, i + 1)
            self.statement(stmt, body[i + 1] if i < last else None)
        levels.pop()

    def after_binding(self, name: str) -> Site:
        """The site of a value bound to `name`, by what the function does with it next.

        A `try` around it that releases it in `finally` decides. Otherwise the statements
        after the binding are read in order, leaving blocks that end (`if` / `else`
        branches, not loops) for the statement after them, until one hands it on
        (entered, returned, stored, given to an exit stack, released in the `finally`
        of a `try`) or the flow ends another way (another `return`, `raise`, `break`,
        `continue`, a rebinding of the name). Statements in between that only use it
        (`log(s.status)`, `check(s)`) are read past: like Java's resource-leak checker,
        exceptions that such uses may raise are not followed. Passing it as an argument
        is remembered: the first such call decides if nothing else does. Entering it, or
        releasing it in a `finally`, counts only right after the binding.
        """
        for final in self.finallies:
            if _releases(final.body, name):
                return Site(Kind.BOUND_THEN_FINALLY, name, self.function)
        passed: Site | None = None
        first = True
        for stmt in _statements_after(self.levels):
            if _is_flag(stmt, name):
                continue
            if isinstance(stmt, TryStmt) and _guards(stmt, name):
                # `try: ... except BaseException: s.close(); raise`: released on errors;
                # handed on inside, or decided by what follows.
                handed = _handed_on_in(stmt, name)
                if handed is not None:
                    kind, target = handed
                    return Site(kind, describe(target) if target is not None else name, self.function, target=target)
                first = False
                continue
            kind, target, call, argument = _next_use(name, stmt)
            if kind is Kind.BOUND_THEN_PASSED:
                site = Site(kind, name, self.function, outer=call, argument=argument)
                if isinstance(stmt, ReturnStmt):
                    return site
                passed = passed or site
            elif kind in _HANDED_OUT or (first and kind is not Kind.BOUND):
                detail = describe(target) if target is not None else name
                return Site(kind, detail, self.function, target=target)
            elif kind is not Kind.BOUND or _ends_flow(stmt, name):
                # Entered or released only after other code ran, or the flow ends.
                return passed or Site(Kind.BOUND, name, self.function)
            first = False
        return passed or Site(Kind.BOUND, name, self.function)

    def statement(self, s: Statement, following: Statement | None) -> None:
        if isinstance(s, ExpressionStmt):
            self.expr(s.expr, Site(Kind.DISCARDED, "", self.function))
        elif isinstance(s, AssignmentStmt):
            self.assignment(s, following)
        elif isinstance(s, OperatorAssignmentStmt):
            self.expr(s.rvalue, self.site(Kind.EXPRESSION))
            self.expr(s.lvalue, self.site(Kind.EXPRESSION))
        elif isinstance(s, ReturnStmt):
            if s.expr is not None:
                self.expr(s.expr, self.site(Kind.RETURNED))
        elif isinstance(s, WithStmt):
            for item, target in zip(s.expr, s.target):
                self.expr(item, self.site(Kind.WITH))
                if target is not None:
                    self.expr(target, self.site(Kind.EXPRESSION))
            self.block(s.body.body)
        elif isinstance(s, IfStmt):
            for cond in s.expr:
                self.expr(cond, self.site(Kind.EXPRESSION))
            for body in s.body:
                self.block(body.body)
            if s.else_body is not None:
                self.block(s.else_body.body)
        elif isinstance(s, (WhileStmt, ForStmt)):
            if isinstance(s, ForStmt):
                self.expr(s.index, self.site(Kind.EXPRESSION))
            self.expr(s.expr, self.site(Kind.EXPRESSION))
            self.block(s.body.body)
            if s.else_body is not None:
                self.block(s.else_body.body)
        elif isinstance(s, TryStmt):
            if s.finally_body is not None:
                self.finallies.append(s.finally_body)
            self.block(s.body.body)
            for typ in s.types:
                if typ is not None:
                    self.expr(typ, self.site(Kind.EXPRESSION))
            for handler in s.handlers:
                self.block(handler.body)
            if s.else_body is not None:
                self.block(s.else_body.body)
            if s.finally_body is not None:
                self.finallies.pop()
                self.block(s.finally_body.body)
        elif isinstance(s, Block):
            self.block(s.body)
        elif isinstance(s, Decorator):
            for dec in s.decorators:
                self.expr(dec, self.site(Kind.DECORATOR))
            self.function_body(s.func, s.original_decorators or s.decorators)
        elif isinstance(s, FuncDef):
            self.function_body(s, [])
        elif isinstance(s, OverloadedFuncDef):
            for part in [*s.items, *([s.impl] if s.impl is not None else [])]:
                if isinstance(part, (Decorator, FuncDef)):
                    self.statement(part, None)
        elif isinstance(s, ClassDef):
            for dec in s.decorators:
                self.expr(dec, self.site(Kind.DECORATOR))
            for class_expr in [*s.base_type_exprs, *s.keywords.values()]:
                self.expr(class_expr, self.site(Kind.EXPRESSION))
            self.block(s.defs.body)
        elif isinstance(s, (AssertStmt, DelStmt, RaiseStmt)):
            for stmt_expr in _statement_expressions(s):
                self.expr(stmt_expr, self.site(Kind.EXPRESSION))
        elif isinstance(s, MatchStmt):
            self.expr(s.subject, self.site(Kind.EXPRESSION))
            for guard in s.guards:
                if guard is not None:
                    self.expr(guard, self.site(Kind.EXPRESSION))
            for body in s.bodies:
                self.block(body.body)

    def assignment(self, s: AssignmentStmt, following: Statement | None) -> None:
        target = s.lvalues[0]
        if (
            len(s.lvalues) == 1
            and isinstance(target, (TupleExpr, ListExpr))
            and isinstance(s.rvalue, (TupleExpr, ListExpr))
            and len(target.items) == len(s.rvalue.items)
        ):
            # `a, b = f(), g()`: each value goes to its own target.
            for sub_target, value in zip(target.items, s.rvalue.items):
                if isinstance(sub_target, NameExpr):
                    self.expr(value, self.site(Kind.BOUND, sub_target.name))
                else:
                    self.expr(value, self.bound(sub_target, None))
        else:
            self.expr(s.rvalue, self.bound(target, following))
        for lvalue in s.lvalues:
            self.expr(lvalue, self.site(Kind.EXPRESSION))

    def bound(self, target: Expression, following: Statement | None) -> Site:
        if isinstance(target, NameExpr):
            return self.after_binding(target.name)
        if isinstance(target, (MemberExpr, IndexExpr)):
            return Site(Kind.STORED, describe(target), self.function, target=target)
        return self.site(Kind.BOUND, describe(target))

    def function_body(self, func: FuncItem, decorators: list[Expression]) -> None:
        for arg in func.arguments:
            if arg.initializer is not None:
                self.expr(arg.initializer, self.site(Kind.EXPRESSION))
        outer = self.function, self.levels, self.finallies
        self.function = function_facts(func, decorators)
        self.levels, self.finallies = [], []
        self.block(func.body.body)
        self.function, self.levels, self.finallies = outer

    def site(self, kind: Kind, detail: str = "") -> Site:
        if detail:
            return Site(kind, detail, self.function)
        # Detail-less sites are shared per function: the walker makes one per expression.
        key = (kind, self.function)
        found = self._shared.get(key)
        if found is None:
            found = self._shared[key] = Site(kind, "", self.function)
        return found

    # ---- expressions -------------------------------------------------------

    def expr(self, e: Expression, site: Site) -> None:
        if isinstance(e, _LEAVES):
            return
        if isinstance(e, CallExpr):
            self.call(e, site, None)
        elif isinstance(e, AwaitExpr):
            inner = e.expr
            if isinstance(inner, CallExpr) and inner.analyzed is None:
                self.call(inner, self.site(Kind.AWAITED), site)
            else:
                self.expr(inner, self.site(Kind.EXPRESSION))
        elif isinstance(e, ConditionalExpr):
            self.expr(e.cond, self.site(Kind.EXPRESSION))
            self.expr(e.if_expr, site)
            self.expr(e.else_expr, site)
        elif isinstance(e, OpExpr):
            inner_site = site if e.op in ("or", "and") else self.site(Kind.EXPRESSION)
            self.expr(e.left, inner_site)
            self.expr(e.right, inner_site)
        elif isinstance(e, CastExpr):
            self.expr(e.expr, site)
        elif isinstance(e, AssertTypeExpr):
            self.expr(e.expr, self.site(Kind.TYPE_CHECK) if site.kind is Kind.DISCARDED else site)
        elif isinstance(e, AssignmentExpr):
            # `(name := value)`: entered or handed on if the whole is; else bound to name.
            value_site = site if site.kind in _HANDED_ON else self.site(Kind.BOUND, e.target.name)
            self.expr(e.value, value_site)
        elif isinstance(e, MemberExpr):
            self.expr(e.expr, self.site(Kind.CHAINED, e.name))
        elif isinstance(e, IndexExpr):
            self.expr(e.base, self.site(Kind.EXPRESSION))
            self.expr(e.index, self.site(Kind.EXPRESSION))
        elif isinstance(e, (ListExpr, TupleExpr, SetExpr)):
            for item in e.items:
                self.expr(item, self.in_container(site))
        elif isinstance(e, DictExpr):
            for key, value in e.items:
                if key is not None:
                    self.expr(key, self.in_container(site))
                self.expr(value, self.in_container(site))
        elif isinstance(e, (ListComprehension, SetComprehension)):
            self.comprehension(e.generator, [e.generator.left_expr], site)
        elif isinstance(e, GeneratorExpr):
            self.comprehension(e, [e.left_expr], site)
        elif isinstance(e, DictionaryComprehension):
            self.comprehension(e, [e.value] if e.key is None else [e.key, e.value], site)
        elif isinstance(e, LambdaExpr):
            self.function_body(e, [])
        elif isinstance(e, YieldExpr):
            if e.expr is not None:
                self.expr(e.expr, self.site(Kind.YIELDED))
        elif isinstance(e, (YieldFromExpr, StarExpr, UnaryExpr)):
            self.expr(e.expr, self.site(Kind.EXPRESSION))
        elif isinstance(e, ComparisonExpr):
            for operand in e.operands:
                self.expr(operand, self.site(Kind.EXPRESSION))
        elif isinstance(e, SliceExpr):
            for part in (e.begin_index, e.end_index, e.stride):
                if part is not None:
                    self.expr(part, self.site(Kind.EXPRESSION))

    def in_container(self, site: Site) -> Site:
        """The site of a container's items: a container stored in an attribute keeps them
        there (`self._files = [open(a), open(b)]`), as its owner's release may do."""
        if site.kind in _KEPT_BY_CONTAINER:
            # `files = [open(a), open(b)]` released in a loop in `finally`; `return sock, addr`
            return site
        return self.site(Kind.CONTAINER)

    def comprehension(
        self, e: GeneratorExpr | DictionaryComprehension, produced: list[Expression], site: Site
    ) -> None:
        for sequence, conditions in zip(e.sequences, e.condlists):
            self.expr(sequence, self.site(Kind.EXPRESSION))
            for cond in conditions:
                self.expr(cond, self.site(Kind.EXPRESSION))
        for item in produced:
            self.expr(item, self.in_container(site))

    def call(self, e: CallExpr, site: Site, awaited: Site | None) -> None:
        if e.analyzed is not None:
            # cast(), reveal_type(), NamedTuple(...), ...: mypy checks the analysed form.
            self.expr(e.analyzed, site)
            return
        self.calls[id(e)] = CallSite(e, site, awaited)
        callee = e.callee
        if isinstance(callee, MemberExpr):
            self.expr(callee.expr, self.site(Kind.CHAINED, callee.name))
        else:
            self.expr(callee, self.site(Kind.CHAINED))
        into_stack = isinstance(callee, MemberExpr) and callee.name in STACK_METHODS
        if isinstance(callee, MemberExpr) and callee.name in _COLLECTION_ADDERS and isinstance(callee.expr, NameExpr):
            # `sessions.append(ClientSession())` into a list that a `finally` releases.
            collected = self.after_binding(callee.expr.name)
            if collected.kind is Kind.BOUND_THEN_FINALLY:
                for arg in e.args:
                    self.expr(arg, collected)
                return
        callee_text = describe(callee)
        callee_name = callee.fullname if isinstance(callee, RefExpr) else ""
        for i, (arg, arg_name) in enumerate(zip(e.args, e.arg_names)):
            if isinstance(arg, _LEAVES):
                continue
            if into_stack and i == 0:
                self.expr(arg, self.site(Kind.STACK))
                continue
            if isinstance(arg, _MAY_PASS_A_CALL):
                argument = arg_name if arg_name is not None else f"#{i}"
                self.expr(arg, Site(Kind.PASSED, callee_text, self.function, callee_name, e, argument))
            else:
                self.expr(arg, self.site(Kind.PASSED))  # its calls get sites of their own


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


def _statement_expressions(s: AssertStmt | DelStmt | RaiseStmt) -> list[Expression]:
    if isinstance(s, AssertStmt):
        parts = [s.expr, s.msg]
    elif isinstance(s, DelStmt):
        parts = [s.expr]
    else:
        parts = [s.expr, s.from_expr]
    return [p for p in parts if p is not None]
