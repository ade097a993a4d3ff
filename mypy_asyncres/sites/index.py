"""The call sites of the module being checked, found lazily (see model.py for what a site is).

mypy checks one module at a time per process; the index keeps that module's sites and
walks only the statements that hold the calls it is asked about.
"""

from __future__ import annotations

from bisect import bisect_right

from mypy.nodes import (
    Block,
    CallExpr,
    ClassDef,
    Decorator,
    Expression,
    ForStmt,
    FuncDef,
    FuncItem,
    IfStmt,
    MypyFile,
    Statement,
    TryStmt,
    WhileStmt,
    WithStmt,
)

from mypy_asyncres.sites.collector import Collector
from mypy_asyncres.sites.model import CallSite, Function, Levels, describe, function_facts
from mypy_asyncres.sites.statements import blocks_of


def _position(call: CallExpr) -> tuple[int, int, int | None, int | None]:
    return (call.line, call.column, call.end_line, call.end_column)


def _block_holding(stmt: Statement, line: int) -> list[Statement] | None:
    """The block of a compound statement that holds `line`; None for its header (and for
    `match`, whose case patterns and guards stand between its blocks: walked whole)."""
    if not isinstance(stmt, (WithStmt, ForStmt, WhileStmt, IfStmt, TryStmt)):
        return None
    holding = None
    for block in blocks_of(stmt):
        if block.body and block.body[0].line <= line:
            holding = block.body
    return holding


# Compound statements with a header of expressions before their first block.
_HEADED = (WithStmt, IfStmt, WhileStmt, ForStmt)


class _Context:
    """What a walk that starts inside a function needs from around it (see Collector)."""

    __slots__ = ("levels", "finallies")

    def __init__(
        self, levels: Levels | None = None, finallies: list[Block] | None = None
    ) -> None:
        self.levels = levels or []
        self.finallies = finallies or []


class SiteIndex:
    """The call sites of the module being checked, walked lazily.

    Keeps one module at a time (mypy checks one module at a time per process). Only
    the top-level statement that contains a call is walked when the call is first
    looked up: most of a module holds no resource. A call still not found makes the
    whole module walked once (decorator lines may precede their statement's line).
    The daemon may give a `MypyFile` a new tree: a new `defs` list resets the index.
    The index holds its nodes, so an id is never reused by another node while in it.
    """

    def __init__(self) -> None:
        self._tree: MypyFile | None = None
        self._defs: list[Statement] = []
        self._walked: set[int] = set()  # ids of statements walked
        self._lines: dict[int, list[int]] = {}  # first lines of a block's statements, by block
        self._calls: dict[int, CallSite] = {}
        self._positions: dict[tuple[int, int, int | None, int | None], CallSite] = {}
        self._complete = False
        # (call, checking pass) already reported: a call is checked again for each
        # overload item and inference attempt, and reports once.
        self.reported: set[object] = set()

    def _reset(self, tree: MypyFile) -> None:
        self._tree, self._defs = tree, tree.defs
        self._walked = set()
        self._lines = {}
        self._calls = {}
        self._positions = {}
        self._complete = False
        self.reported = set()

    def _walk(self, body: list[Statement], i: int, function: Function | None, context: _Context) -> None:
        collector = Collector()
        collector.calls = self._calls
        collector.function = function
        collector.levels = [*context.levels, (body, i + 1)]
        collector.finallies = list(context.finallies)
        stmt = body[i]
        if isinstance(stmt, _HEADED):
            # A call in the header (`async with Session() as s:`): the blocks, often
            # long, are walked when a call in them is asked for.
            collector.header(stmt)
            return
        collector.statement(stmt, body[i + 1] if i + 1 < len(body) else None)
        self._walked.add(id(stmt))

    def _walk_containing(
        self, body: list[Statement], line: int, function: Function | None, context: _Context
    ) -> None:
        """Walk the statement of `body` that holds `line`, descending into classes,
        functions and the blocks of compound statements (a call's site depends on its
        statement, what runs after it in its function and the `try` statements around
        it). A call in a compound statement's header gets the statement walked whole."""
        lines = self._lines.get(id(body))
        if lines is None:
            lines = self._lines[id(body)] = [stmt.line for stmt in body]
        i = bisect_right(lines, line) - 1
        if i < 0 or id(body[i]) in self._walked:
            return
        stmt = body[i]
        func: FuncItem | None = None
        decorators: list[Expression] = []
        if isinstance(stmt, Decorator):
            func, decorators = stmt.func, stmt.original_decorators or stmt.decorators
        elif isinstance(stmt, FuncDef):
            func = stmt
        if isinstance(stmt, ClassDef) and stmt.defs.body:
            self._walk_containing(stmt.defs.body, line, None, _Context())
            return
        if func is not None and func.body.body and line >= func.body.body[0].line:
            self._walk_containing(func.body.body, line, function_facts(func, decorators), _Context())
            return
        inner = _block_holding(stmt, line)
        if inner is not None:
            finallies = context.finallies
            if isinstance(stmt, TryStmt) and stmt.finally_body is not None and inner is not stmt.finally_body.body:
                finallies = [*finallies, stmt.finally_body]
            self._walk_containing(inner, line, function, _Context([*context.levels, (body, i + 1)], finallies))
        else:
            self._walk(body, i, function, context)

    def _by_id(self, call: CallExpr) -> CallSite | None:
        found = self._calls.get(id(call))
        return found if found is not None and found.call is call else None

    def _by_position(self, call: CallExpr) -> CallSite | None:
        """mypy checks copies of a function body for each value of a constrained type
        variable (`AnyStr`): the copy's calls stand where the original's do. (Rare: the
        positions are indexed only when a call is not found by identity.)"""
        if len(self._positions) != len(self._calls):
            self._positions = {_position(site.call): site for site in self._calls.values()}
        copy = self._positions.get(_position(call))
        # Plugins also check calls they make up (functools.partial checks `f(...)` at the
        # `partial(f)` call): a copy has the same callee, a made-up call another one.
        if copy is not None and describe(copy.call.callee) == describe(call.callee) != "":
            return copy
        return None

    def lookup(self, tree: MypyFile, call: CallExpr) -> CallSite | None:
        if tree is not self._tree or tree.defs is not self._defs:
            self._reset(tree)
        found = self._by_id(call)
        if found is not None:
            return found
        self._walk_containing(self._defs, call.line, None, _Context())
        found = self._by_id(call) or self._by_position(call)
        if found is not None or self._complete:
            return found
        # Not where its line says: walk the whole module, once (a class's decorators
        # and bases are only reached this way).
        self._calls, self._positions = {}, {}
        collector = Collector()
        collector.calls = self._calls
        collector.block(self._defs)
        self._complete = True
        return self._by_id(call) or self._by_position(call)
