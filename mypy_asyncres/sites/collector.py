"""Where a call sits: the syntactic facts mypy does not give plugins.

A call hook sees the call, not whether it is a `with` item, returned, bound or
passed on. The collector here walks statements and records, for every call, the
place its value goes (site_index.py decides which statements to walk). It
dispatches on node classes itself: compiled mypy refuses interpreted subclasses of
its visitor classes.
"""

from __future__ import annotations

from mypy.nodes import (
    AssertStmt,
    AssertTypeExpr,
    AssignmentExpr,
    AssignmentStmt,
    AwaitExpr,
    Block,
    BytesExpr,
    CallExpr,
    CastExpr,
    ClassDef,
    ComparisonExpr,
    ComplexExpr,
    ConditionalExpr,
    Decorator,
    DelStmt,
    DictExpr,
    DictionaryComprehension,
    EllipsisExpr,
    Expression,
    ExpressionStmt,
    FloatExpr,
    ForStmt,
    FuncDef,
    FuncItem,
    GeneratorExpr,
    IfStmt,
    IndexExpr,
    IntExpr,
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
    StrExpr,
    TryStmt,
    TupleExpr,
    UnaryExpr,
    WhileStmt,
    WithStmt,
    YieldExpr,
    YieldFromExpr,
)

from mypy_asyncres.names import (
    AWAIT_PASS_THROUGH,
    CONSUMING_METHODS,
    CONTEXTMANAGER_DECORATORS,
    ENTER_METHODS,
    MUST_ENTER,
    STACK_METHODS,
    WAITED_WITHOUT_PIPES,
)
from mypy_asyncres.sites.flows import (
    COLLECTION_ADDERS,
    calls_with,
    every_branch_returns,
    handed_on_in,
    next_use,
    statements_after,
)
from mypy_asyncres.sites.model import CallSite, Function, Kind, Site, describe
from mypy_asyncres.sites.releases import (
    awaits_in,
    chained_wait_without_pipes,
    guards,
    is_flag,
    narrow_guard,
    rebinds_only_when_unset,
    releases,
    releases_before_leaving,
    releases_now,
    waits_without_pipes,
)
from mypy_asyncres.sites.statements import ends_flow

# What other modules import from here.
__all__ = ["CallSite", "Collector", "Function", "Kind", "Site", "describe", "function_facts"]


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

    def after_binding(self, name: str, value: Expression | None = None) -> Site:
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
        if self.released_in_finally(name):
            return Site(Kind.BOUND_THEN_FINALLY, name, self.function)
        passed: Site | None = None
        first = True
        read_past: list[Statement] = []  # statements read past: a use there can raise
        for stmt in statements_after(self.levels):
            if is_flag(stmt, name):
                continue
            if first and (releases_now(stmt, name) or waits_without_pipes(stmt, name, value)):
                return Site(Kind.BOUND_THEN_RELEASED, name, self.function)
            if every_branch_returns(stmt, name):
                if any(calls_with(past, name) for past in read_past):
                    return Site(Kind.USED_BEFORE_HANDOFF, name, self.function)
                return Site(Kind.BOUND_THEN_RETURNED, name, self.function)
            if releases_before_leaving(stmt, name) or rebinds_only_when_unset(stmt, name):
                first = False
                continue
            if isinstance(stmt, TryStmt):
                caught = narrow_guard(stmt, name)
                if caught:
                    return Site(
                        Kind.BOUND_THEN_NARROW_GUARD, name, self.function, caught=caught,
                        cancellable=awaits_in(stmt), handed_on=self.handed_on_after(stmt, name),
                    )
            if isinstance(stmt, TryStmt) and guards(stmt, name):
                # `try: ... except BaseException: s.close(); raise`: released on errors;
                # handed on inside, or decided by what follows.
                handed = handed_on_in(stmt, name)
                if handed is not None:
                    kind, target = handed
                    return Site(kind, describe(target) if target is not None else name, self.function, target=target)
                first = False
                continue
            kind, target, call, argument = next_use(name, stmt)
            if kind is Kind.BOUND_THEN_PASSED and call is not None and self.collected_for_finally(call):
                return Site(Kind.BOUND_THEN_FINALLY, name, self.function)
            if kind is Kind.BOUND_THEN_PASSED:
                site = Site(kind, name, self.function, outer=call, argument=argument)
                if isinstance(stmt, ReturnStmt):
                    return site
                passed = passed or site
            elif kind in _HANDED_OUT or (first and kind is not Kind.BOUND):
                if kind in _HANDED_OUT and any(calls_with(past, name) for past in read_past):
                    # `sock.connect(addr)` before `return sock`: if that raises, the
                    # value is dropped unreleased.
                    return Site(Kind.USED_BEFORE_HANDOFF, name, self.function, handed_on=kind is Kind.STORED)
                detail = describe(target) if target is not None else name
                return Site(kind, detail, self.function, target=target)
            elif kind is not Kind.BOUND or ends_flow(stmt, name):
                # Entered or released only after other code ran, or the flow ends.
                return passed or Site(Kind.BOUND, name, self.function)
            read_past.append(stmt)
            first = False
        return passed or Site(Kind.BOUND, name, self.function)

    def handed_on_after(self, stmt: TryStmt, name: str) -> bool:
        """Whether `name` is returned or stored inside the `try` or after it."""
        if handed_on_in(stmt, name) is not None:
            return True
        after = False
        for following in statements_after(self.levels):
            if following is stmt:
                after = True
                continue
            if after:
                kind = next_use(name, following)[0]
                if kind is Kind.BOUND_THEN_RETURNED or kind is Kind.STORED:
                    return True
        return False

    def released_in_finally(self, name: str) -> bool:
        """Whether the `finally` of a `try` around the walk releases `name` (also
        `self.x`)."""
        return any(releases(final.body, name) for final in self.finallies)

    def collected_for_finally(self, call: CallExpr) -> bool:
        """`files.append(...)` into a list that the `finally` around it releases."""
        callee = call.callee
        return (
            isinstance(callee, MemberExpr)
            and callee.name in COLLECTION_ADDERS
            and isinstance(callee.expr, NameExpr)
            and self.released_in_finally(callee.expr.name)
        )

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
            self.header(s)
            self.block(s.body.body)
        elif isinstance(s, IfStmt):
            self.header(s)
            for body in s.body:
                self.block(body.body)
            if s.else_body is not None:
                self.block(s.else_body.body)
        elif isinstance(s, (WhileStmt, ForStmt)):
            self.header(s)
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

    def header(self, s: WithStmt | IfStmt | WhileStmt | ForStmt) -> None:
        """The expressions before a compound statement's first block: their sites do not
        depend on the blocks (which site_index.py walks only when asked)."""
        if isinstance(s, WithStmt):
            for item, target in zip(s.expr, s.target):
                if isinstance(target, NameExpr) and self.function is not None:
                    # What follows the block is read for uses after its exit (after_exit.py).
                    site = Site(Kind.WITH, target.name, self.function, statement=s, levels=list(self.levels))
                else:
                    site = self.site(Kind.WITH)
                self.expr(item, site)
                if target is not None:
                    self.expr(target, self.site(Kind.EXPRESSION))
        elif isinstance(s, IfStmt):
            for cond in s.expr:
                self.expr(cond, self.site(Kind.EXPRESSION))
        else:
            if isinstance(s, ForStmt):
                self.expr(s.index, self.site(Kind.EXPRESSION))
            self.expr(s.expr, self.site(Kind.EXPRESSION))

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
        elif len(s.lvalues) == 1 and isinstance(target, (TupleExpr, ListExpr)):
            # `lease, n = make()`: a tuple's members go to their own targets.
            self.expr(s.rvalue, Site(Kind.UNPACKED, "", self.function, items=[self.unpacked(t) for t in target.items]))
        else:
            self.expr(s.rvalue, self.bound(target, following, s.rvalue))
        for lvalue in s.lvalues:
            self.expr(lvalue, self.site(Kind.EXPRESSION))

    def unpacked(self, target: Expression) -> Site:
        if isinstance(target, StarExpr):
            return self.site(Kind.CONTAINER)
        return self.bound(target, None)

    def bound(self, target: Expression, following: Statement | None, value: Expression | None = None) -> Site:
        if isinstance(target, NameExpr):
            return self.after_binding(target.name, value)
        if isinstance(target, (MemberExpr, IndexExpr)):
            text = describe(target)
            if isinstance(target, MemberExpr) and (
                self.released_in_finally(text)
                or (isinstance(following, TryStmt) and following.finally_body is not None
                    and releases(following.finally_body.body, text))
            ):
                # `self.proc = Popen(...)`, then `try: ... finally: self.proc.kill()`.
                return Site(Kind.BOUND_THEN_FINALLY, text, self.function)
            site = Site(Kind.STORED, text, self.function, target=target)
            if isinstance(target, MemberExpr) and self.function is not None and not self.function.is_lambda:
                # Whether it replaces a held value is decided when a field is judged
                # (rarely): the blocks around it are kept for that.
                site.levels = list(self.levels)
                site.stored_value = value
            return site
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
            if isinstance(e.index, IntExpr) and isinstance(e.base, (CallExpr, AwaitExpr)):
                # `make()[0]`: the member of a returned tuple goes where the whole goes.
                self.expr(e.base, Site(Kind.INDEXED, "", self.function, items=[site], index=e.index.value))
            else:
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
            method = callee.name
            if method in CONSUMING_METHODS and e.args:
                method = f"{method}(...)"  # `communicate(timeout=5)` may leave it running
            elif isinstance(callee.expr, CallExpr) and chained_wait_without_pipes(callee.expr, method):
                method = WAITED_WITHOUT_PIPES  # `Popen(cmd).wait()`: nothing else to release
            self.expr(callee.expr, self.site(Kind.CHAINED, method))
        else:
            self.expr(callee, self.site(Kind.CHAINED))
        into_stack = isinstance(callee, MemberExpr) and callee.name in STACK_METHODS
        if isinstance(callee, MemberExpr) and callee.name in COLLECTION_ADDERS and isinstance(callee.expr, NameExpr):
            # `sessions.append(ClientSession())` into a list that a `finally` releases.
            collected = self.after_binding(callee.expr.name)
            if collected.kind is Kind.BOUND_THEN_FINALLY:
                for arg in e.args:
                    self.expr(arg, collected)
                return
        callee_text = describe(callee)
        callee_name = callee.fullname if isinstance(callee, RefExpr) else ""
        if awaited is not None and callee_name in AWAIT_PASS_THROUGH and e.args and isinstance(e.args[0], CallExpr):
            # `await asyncio.wait_for(connect(dsn), 5)` gives what `connect(dsn)` gives:
            # judged where the awaited value goes.
            self.call(e.args[0], self.site(Kind.AWAITED), awaited)
            for arg in e.args[1:]:
                self.expr(arg, self.site(Kind.PASSED))
            return
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
