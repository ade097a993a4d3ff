"""Where the value of a call in an expression goes: awaited, passed on, chained, put in a
container, bound by `:=`. A call's site is what the enclosing statement makes of the
whole expression (collector.py)."""

from __future__ import annotations

from mypy.nodes import (
    AssertTypeExpr,
    AssignmentExpr,
    AwaitExpr,
    Block,
    BytesExpr,
    CallExpr,
    CastExpr,
    ComparisonExpr,
    ComplexExpr,
    ConditionalExpr,
    DictExpr,
    DictionaryComprehension,
    EllipsisExpr,
    Expression,
    FloatExpr,
    FuncItem,
    GeneratorExpr,
    IndexExpr,
    IntExpr,
    LambdaExpr,
    ListComprehension,
    ListExpr,
    MemberExpr,
    NameExpr,
    OpExpr,
    RefExpr,
    SetComprehension,
    SetExpr,
    SliceExpr,
    StarExpr,
    StrExpr,
    TupleExpr,
    UnaryExpr,
    YieldExpr,
    YieldFromExpr,
)

from mypy_asyncres.names import (
    AWAIT_PASS_THROUGH,
    CONSUMING_METHODS,
    CONSUMING_WHEN_AWAITED,
    RUN_TO_COMPLETION,
    SERVED_UNTIL_CANCELLED,
    STACK_METHODS,
    WAITED_WITHOUT_PIPES,
)
from mypy_asyncres.sites.binding import after_binding, collected_into, released_in_finally
from mypy_asyncres.sites.flows import (
    COLLECTION_ADDERS,
)
from mypy_asyncres.sites.model import (
    CallSite,
    Function,
    Kind,
    Levels,
    Site,
    argument_key,
    describe,
)
from mypy_asyncres.sites.releases import (
    chained_wait_without_pipes,
    without_timeout,
)

# What a list an item is appended to may do with it: released in a `finally` around, or
# kept by what the list is handed to (sites/binding.collected_into).
_KEPT_BY_A_LIST = frozenset({Kind.BOUND_THEN_FINALLY, Kind.STORED, Kind.PASSED})
# Sites that a container passes on to its items.
_KEPT_BY_CONTAINER = frozenset({Kind.STORED, Kind.BOUND_THEN_FINALLY, Kind.RETURNED})


# Kinds whose value is handed on unchanged by a transparent wrapper (`a or b`,
# `x if c else y`, `cast(T, x)`, `(n := x)`).
_HANDED_ON = frozenset({Kind.WITH, Kind.STACK, Kind.RETURNED})


# Arguments whose value may be a call's own value (a PASSED site is made for them only).
_MAY_PASS_A_CALL = (CallExpr, AwaitExpr, ConditionalExpr, OpExpr, CastExpr, AssignmentExpr)


# Expressions that hold no other expression (the most common ones first).
_LEAVES = (NameExpr, StrExpr, IntExpr, BytesExpr, FloatExpr, EllipsisExpr, ComplexExpr)


class ExpressionWalker:
    """Records, for every call in an expression, the site its value goes to. The
    statements around it (collector.py) give the expression its site."""

    def __init__(self) -> None:
        self.calls: dict[int, CallSite] = {}
        self.function: Function | None = None
        # In the current function, the enclosing blocks, each with the index of the
        # statement after the one being walked in it (outermost first), and the `finally`
        # bodies of the `try` statements around the walk.
        self.levels: Levels = []
        self.finallies: list[Block] = []

    def after_binding(self, name: str, value: Expression | None = None) -> Site:
        return after_binding(name, value, self.function, self.levels, self.finallies)

    def released_in_finally(self, name: str) -> bool:
        return released_in_finally(self.finallies, name)

    def site(self, kind: Kind, detail: str = "") -> Site:
        return Site(kind, detail, self.function)

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
            if method in CONSUMING_METHODS and not without_timeout(e):
                method = f"{method}(...)"  # `communicate(timeout=5)` may leave it running
            elif method in CONSUMING_WHEN_AWAITED and awaited is not None:
                method = SERVED_UNTIL_CANCELLED
            elif isinstance(callee.expr, CallExpr) and chained_wait_without_pipes(callee.expr, method):
                method = WAITED_WITHOUT_PIPES  # `Popen(cmd).wait()`: nothing else to release
            self.expr(callee.expr, self.site(Kind.CHAINED, method))
        else:
            self.expr(callee, self.site(Kind.CHAINED))
        into_stack = isinstance(callee, MemberExpr) and callee.name in STACK_METHODS
        if isinstance(callee, MemberExpr) and callee.name in COLLECTION_ADDERS and isinstance(callee.expr, NameExpr):
            # `sessions.append(ClientSession())` into a list that a `finally` releases.
            collected = self.after_binding(callee.expr.name)
            if collected.kind is not Kind.BOUND_THEN_FINALLY:
                collected = collected_into(e, self.function, self.levels, self.finallies) or collected
            if collected.kind is Kind.BOUND_THEN_PASSED:
                # Judged as passed to what the list is handed to, named as appended.
                collected = Site(Kind.PASSED, describe(callee), self.function, "", collected.outer, collected.argument)
            if collected.kind in _KEPT_BY_A_LIST:
                for arg in e.args:
                    self.expr(arg, collected)
                return
        callee_text = describe(callee)
        callee_name = callee.fullname if isinstance(callee, RefExpr) else ""
        runs = isinstance(callee, MemberExpr) and callee.name in RUN_TO_COMPLETION
        if runs and awaited is None:
            awaited = site  # `loop.run_until_complete(coro)` awaits it, for the value to go to `site`
        if (
            awaited is not None
            and (callee_name in AWAIT_PASS_THROUGH or runs)
            and e.args
            and isinstance(e.args[0], CallExpr)
        ):
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
                argument = argument_key(i, arg_name)
                self.expr(arg, Site(Kind.PASSED, callee_text, self.function, callee_name, e, argument))
            else:
                self.expr(arg, self.site(Kind.PASSED))  # its calls get sites of their own

    def function_body(self, func: FuncItem, decorators: list[Expression]) -> None:
        raise NotImplementedError  # a lambda's body: the statement walker's (Collector)
