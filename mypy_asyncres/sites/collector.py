"""Where a call sits: the syntactic facts mypy does not give plugins.

A call hook sees the call, not whether it is a `with` item, returned, bound or
passed on. The collector here walks statements and records, for every call, the
place its value goes (index.py decides which statements to walk). It
dispatches on node classes itself: compiled mypy refuses interpreted subclasses of
its visitor classes.
"""

from __future__ import annotations

from mypy.nodes import (
    GDEF,
    AssertStmt,
    AssignmentStmt,
    Block,
    ClassDef,
    Decorator,
    DelStmt,
    Expression,
    ExpressionStmt,
    ForStmt,
    FuncDef,
    FuncItem,
    IfStmt,
    IndexExpr,
    ListExpr,
    MatchStmt,
    MemberExpr,
    MypyFile,
    NameExpr,
    OperatorAssignmentStmt,
    OverloadedFuncDef,
    RaiseStmt,
    RefExpr,
    ReturnStmt,
    StarExpr,
    Statement,
    TryStmt,
    TupleExpr,
    TypeInfo,
    WhileStmt,
    WithStmt,
)

from mypy_asyncres.sites.expressions import ExpressionWalker
from mypy_asyncres.sites.model import (
    Kind,
    Site,
    describe,
    function_facts,
)
from mypy_asyncres.sites.releases import (
    releases,
)
from mypy_asyncres.sites.statements import statement_expressions


class Collector(ExpressionWalker):
    """Walks statements: each gives its expressions their sites."""

    # ---- statements --------------------------------------------------------

    def block(self, body: list[Statement]) -> None:
        last = len(body) - 1
        levels = self.levels
        levels.append((body, 0))
        for i, stmt in enumerate(body):
            levels[-1] = (body, i + 1)
            self.statement(stmt, body[i + 1] if i < last else None)
        levels.pop()

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
            for stmt_expr in statement_expressions(s):
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
        depend on the blocks (which index.py walks only when asked)."""
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
            site = self.after_binding(target.name, value)
            if target.kind == GDEF and site.kind is Kind.BOUND and self.function is not None:
                # `global X` in a function, not handed on: kept for the process, as at module level.
                return Site(Kind.BOUND, target.name, None)
            return site
        if isinstance(target, MemberExpr) and _is_module_or_class(target.expr):
            # `sys.stdin = open(...)`, `_State.EXECUTOR = ThreadPoolExecutor()`: kept for the
            # process, as a module global or a class attribute is, unless the `finally`
            # around or after it releases it.
            text = describe(target)
            if self._released_in_finally_or_next(text, following):
                return Site(Kind.BOUND_THEN_FINALLY, text, self.function)
            return Site(Kind.BOUND, text, None)
        if isinstance(target, (MemberExpr, IndexExpr)):
            text = describe(target)
            if isinstance(target, MemberExpr) and self._released_in_finally_or_next(text, following):
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

    def _released_in_finally_or_next(self, text: str, following: Statement | None) -> bool:
        """Released in the `finally` of a `try` around the walk or of the `try` that follows."""
        return self.released_in_finally(text) or (
            isinstance(following, TryStmt)
            and following.finally_body is not None
            and releases(following.finally_body.body, text)
        )

    def function_body(self, func: FuncItem, decorators: list[Expression]) -> None:
        for arg in func.arguments:
            if arg.initializer is not None:
                self.expr(arg.initializer, self.site(Kind.EXPRESSION))
        outer = self.function, self.levels, self.finallies
        self.function = function_facts(func, decorators)
        self.levels, self.finallies = [], []
        self.block(func.body.body)
        self.function, self.levels, self.finallies = outer


def _is_module_or_class(expr: Expression) -> bool:
    return isinstance(expr, RefExpr) and isinstance(expr.node, (MypyFile, TypeInfo))
