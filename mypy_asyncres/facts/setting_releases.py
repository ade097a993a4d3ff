"""Fields released under the setting that chose to create them (`self.body = open(p) if
filename else BytesIO()`, then `close()`: `if self.filename: self.body.close()`): read
from a class's methods with the other owner facts (class_reading.py)."""

from __future__ import annotations

from collections.abc import Iterator

from mypy.nodes import (
    AssignmentExpr,
    AssignmentStmt,
    CallExpr,
    ConditionalExpr,
    Expression,
    ForStmt,
    FuncDef,
    ListExpr,
    MemberExpr,
    NameExpr,
    OperatorAssignmentStmt,
    StarExpr,
    Statement,
    TupleExpr,
    WithStmt,
)
from mypy.server.subexpr import get_subexpressions

from mypy_asyncres.facts.method_releases import parameter_stores, self_attribute
from mypy_asyncres.sites.statements import statements_in

Methods = dict[str, tuple[FuncDef, str | None, bool]]


def created_under_setting(methods: Methods, under_setting: dict[str, str], aliases: dict[str, str]) -> set[str]:
    """Fields released under the same setting that chose to create them: `self.body =
    open(p) if filename else BytesIO()`, with `filename` kept in `self.filename` (or a
    property that returns it), then `close()`: `if self.filename: self.body.close()`.
    The setting is a plain truthy test in both places; the field and the setting are
    each assigned once in the class, the parameter is not rebound, and the other branch
    holds nothing to release (`None`, `sys.stdout`, `BytesIO()`)."""
    assigned = _assignment_counts(methods)
    found = set()
    for method, self_name, _ in methods.values():
        if self_name is None:
            continue
        # A parameter stored in a field is that field's setting here (`self._name = name`).
        parameter_fields: dict[str, set[str]] = {}
        for attr, parameter in parameter_stores(method, self_name):
            parameter_fields.setdefault(parameter, set()).add(attr)
        rebound = {target.name for target in _local_targets(method) if isinstance(target, NameExpr)}
        for stmt in statements_in(method.body.body):
            if not (isinstance(stmt, AssignmentStmt) and isinstance(stmt.rvalue, ConditionalExpr)):
                continue
            value = stmt.rvalue
            if not isinstance(value.if_expr, CallExpr) or not _holds_nothing(value.else_expr):
                continue
            tested_field = self_attribute(value.cond, self_name)
            tested = {tested_field} if tested_field is not None else set()
            if isinstance(value.cond, NameExpr):
                tested = parameter_fields.get(value.cond.name, set()) if value.cond.name not in rebound else set()
            for lvalue in stmt.lvalues:
                field = self_attribute(lvalue, self_name)
                if field is None or field not in under_setting or assigned.get(field) != 1:
                    continue
                setting = aliases.get(under_setting[field], under_setting[field])
                if setting in tested and assigned.get(setting) == 1:
                    found.add(field)
    return found


# In-memory stand-ins for a file: nothing to release.
_IN_MEMORY = frozenset({"BytesIO", "StringIO"})


def _holds_nothing(value: Expression) -> bool:
    """`None`, `sys.stdout`, `io.BytesIO()`: a value other than a fresh resource."""
    if isinstance(value, CallExpr):
        return isinstance(value.callee, (NameExpr, MemberExpr)) and value.callee.name in _IN_MEMORY
    return isinstance(value, MemberExpr) or (isinstance(value, NameExpr) and value.name == "None")


def _assignment_counts(methods: Methods) -> dict[str, int]:
    """How many statements of the class's methods assign each `self.<attribute>`."""
    counts: dict[str, int] = {}
    for method, self_name, _ in methods.values():
        if self_name is None:
            continue
        for target in _local_targets(method):
            attr = self_attribute(target, self_name)
            if attr is not None:
                counts[attr] = counts.get(attr, 0) + 1
    return counts


def _local_targets(method: FuncDef) -> Iterator[Expression]:
    """Every target a method's statements bind (tuples unpacked, loop and `with` targets,
    `:=`, augmented assignments)."""
    for stmt in statements_in(method.body.body):
        yield from _flattened(_targets_of(stmt))
    for expr in get_subexpressions(method.body):
        if isinstance(expr, AssignmentExpr):
            yield expr.target


def _targets_of(stmt: Statement) -> list[Expression]:
    if isinstance(stmt, AssignmentStmt):
        return list(stmt.lvalues)
    if isinstance(stmt, OperatorAssignmentStmt):
        return [stmt.lvalue]
    if isinstance(stmt, ForStmt):
        return [stmt.index]
    if isinstance(stmt, WithStmt):
        return [t for t in stmt.target if t is not None]
    return []


def _flattened(targets: list[Expression]) -> Iterator[Expression]:
    for target in targets:
        if isinstance(target, (TupleExpr, ListExpr)):
            yield from _flattened(target.items)
        elif isinstance(target, StarExpr):
            yield from _flattened([target.expr])
        else:
            yield target
