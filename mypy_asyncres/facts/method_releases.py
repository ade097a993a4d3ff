"""What one method releases: the fields it closes (directly, through a local alias or a
loop over a field, under which condition), and the other methods of `self` it calls."""

from __future__ import annotations

from mypy.nodes import (
    AssignmentExpr,
    AssignmentStmt,
    AwaitExpr,
    CallExpr,
    Expression,
    ForStmt,
    FuncDef,
    GeneratorExpr,
    IfStmt,
    IndexExpr,
    MemberExpr,
    NameExpr,
    StrExpr,
)
from mypy.server.subexpr import get_subexpressions

from mypy_asyncres.names import (
    RELEASE_BY_ARGUMENT_CALLS,
    RELEASE_CALLS,
    WAIT_CALLS,
)
from mypy_asyncres.sites.statements import statements_in


def self_attribute(expr: Expression, self_name: str) -> str | None:
    """`self.attr` (or `self.attr[...]`, `getattr(self, "attr", None)`) -> attr."""
    if isinstance(expr, IndexExpr):
        expr = expr.base
    if isinstance(expr, MemberExpr) and isinstance(expr.expr, NameExpr) and expr.expr.name == self_name:
        return expr.name
    if (
        isinstance(expr, CallExpr)
        and isinstance(expr.callee, NameExpr)
        and expr.callee.name == "getattr"
        and len(expr.args) >= 2
        and isinstance(expr.args[0], NameExpr)
        and expr.args[0].name == self_name
        and isinstance(expr.args[1], StrExpr)
    ):
        return expr.args[1].value
    return None



# Attributes whose test decides whether the object owns what it holds (`if
# self._owns_session:`, `if self._close_connector:`), or says it was released already
# (`if not self._content_consumed:`, `if not self._released:`), not a setting of what it does.
_OWNERSHIP_FLAG_WORDS = ("own", "close", "extern", "manage", "auto", "creat", "borrow", "shared", "consum", "releas")



def _is_ownership_flag(attribute: str) -> bool:
    lowered = attribute.lower()
    return any(word in lowered for word in _OWNERSHIP_FLAG_WORDS)



def _attributes_in(expr: Expression, self_name: str) -> set[str]:
    """The `self.<attr>` an expression reads (`self.a or b`, `self.a.values()`, ...)."""
    found = set()
    for sub in get_subexpressions(expr):
        attr = self_attribute(sub, self_name)
        if attr is not None:
            found.add(attr)
    return found



def _note_condition(
    stmt: IfStmt, self_name: str, conditions: dict[int, set[str]], truthy: dict[int, set[str]]
) -> None:
    """For the calls inside an `if` whose condition reads attributes of `self`: those
    attributes, by the call's id; and in `truthy`, those the call runs only when they are
    true (`if self._close:` around it, not `if not self._borrowed:` nor an `else`)."""
    attrs = set().union(*(_attributes_in(cond, self_name) for cond in stmt.expr))
    if not attrs:
        return
    for block in [*stmt.body, *([stmt.else_body] if stmt.else_body is not None else [])]:
        for e in get_subexpressions(block):
            if isinstance(e, CallExpr):
                conditions.setdefault(id(e), set()).update(attrs)
    for cond, block in zip(stmt.expr, stmt.body):
        attr = self_attribute(cond, self_name)
        if attr is not None:
            for e in get_subexpressions(block):
                if isinstance(e, CallExpr):
                    truthy.setdefault(id(e), set()).add(attr)



class MethodReleases:
    """What one method releases, and which other methods of `self` it calls."""

    def __init__(self, func: FuncDef, self_name: str) -> None:
        self.released: set[str] = set()
        # Released whatever the object's flags say: not only under `if self._owns:`.
        self.always_released: set[str] = set()
        # Released only when ownership flags are true (`if self._close_handle:`): which.
        self.flags: dict[str, set[str]] = {}
        # Released only when a setting is true (`if self.filename:`): which setting.
        self.under_setting: dict[str, str] = {}
        self.calls: set[str] = set()
        conditions: dict[int, set[str]] = {}  # see _note_condition
        truthy: dict[int, set[str]] = {}
        aliases: dict[str, set[str]] = {}  # local name -> the attributes it may hold
        for stmt in statements_in(func.body.body):
            if isinstance(stmt, IfStmt):
                _note_condition(stmt, self_name, conditions, truthy)
            elif isinstance(stmt, AssignmentStmt) and isinstance(stmt.rvalue, Expression):
                attrs = _attributes_in(stmt.rvalue, self_name)
                if attrs:
                    for lvalue in stmt.lvalues:
                        if isinstance(lvalue, NameExpr):
                            aliases.setdefault(lvalue.name, set()).update(attrs)
            elif isinstance(stmt, ForStmt) and isinstance(stmt.index, NameExpr):
                attrs = _attributes_in(stmt.expr, self_name)
                if attrs:
                    aliases.setdefault(stmt.index.name, set()).update(attrs)
        expressions = get_subexpressions(func.body)
        awaited = {id(e.expr) for e in expressions if isinstance(e, AwaitExpr)}
        for expr in expressions:
            if isinstance(expr, AssignmentExpr):
                attrs = _attributes_in(expr.value, self_name)
                if attrs:
                    aliases.setdefault(expr.target.name, set()).update(attrs)
            elif isinstance(expr, GeneratorExpr):  # also the generator of list/set comprehensions
                for index, sequence in zip(expr.indices, expr.sequences):
                    attrs = _attributes_in(sequence, self_name)
                    if attrs and isinstance(index, NameExpr):
                        aliases.setdefault(index.name, set()).update(attrs)
        for expr in expressions:
            if not (isinstance(expr, CallExpr) and isinstance(expr.callee, MemberExpr)):
                continue
            method = expr.callee.name
            receiver = expr.callee.expr
            if isinstance(receiver, NameExpr) and receiver.name == self_name:
                self.calls.add(method)
                continue
            if method in RELEASE_CALLS or (method in WAIT_CALLS and id(expr) in awaited and not expr.args):
                released = receiver
            elif method in RELEASE_BY_ARGUMENT_CALLS:
                # `self._pool.release(self._conn)`; `self._resp.release()` (aiohttp)
                released = expr.args[0] if expr.args else receiver
            else:
                continue
            if isinstance(released, AwaitExpr):
                released = released.expr
            attr = self_attribute(released, self_name)
            attrs = {attr} if attr is not None else set()
            if attr is None and isinstance(released, NameExpr):
                attrs = aliases.get(released.name, set())
            # Under `if self._owns:` it depends on a flag; `if self._session:` is a null
            # check; under a setting (`if self.filename != ":memory:"`) it is not released
            # on every path.
            other_conditions = conditions.get(id(expr), set()) - attrs
            if not other_conditions:
                self.always_released |= attrs
            if all(_is_ownership_flag(condition) for condition in other_conditions):
                self.released |= attrs
                if other_conditions and other_conditions <= truthy.get(id(expr), set()):
                    for attr in attrs:
                        self.flags.setdefault(attr, set()).update(other_conditions)
            elif len(other_conditions) == 1 and other_conditions <= truthy.get(id(expr), set()):
                (setting,) = other_conditions
                for attr in attrs:
                    self.under_setting[attr] = setting


def parameter_stores(method: FuncDef, self_name: str) -> list[tuple[str, str]]:
    """(attribute, parameter) for each `self.<attribute> = <parameter>` at the top of a
    method, where such stores stand, in order."""
    parameters = {arg.variable.name for arg in method.arguments[1:]}
    if not parameters:
        return []
    found = []
    for stmt in method.body.body:
        if isinstance(stmt, AssignmentStmt) and isinstance(stmt.rvalue, NameExpr) and stmt.rvalue.name in parameters:
            for lvalue in stmt.lvalues:
                attr = self_attribute(lvalue, self_name)
                if attr is not None:
                    found.append((attr, stmt.rvalue.name))
    return found
