"""Fields released under the setting that chose to create them (`self.body = open(p) if
filename else BytesIO()`, then `close()`: `if self.filename: self.body.close()`): read
from a class's methods with the other owner facts (class_reading.py)."""

from __future__ import annotations

from mypy.nodes import AssignmentStmt, CallExpr, ConditionalExpr, Expression, FuncDef, MemberExpr, NameExpr

from mypy_asyncres.facts.method_releases import parameter_stores, self_attribute
from mypy_asyncres.sites.statements import statements_in


def created_under_setting(
    methods: dict[str, tuple[FuncDef, str | None, bool]], under_setting: dict[str, str], aliases: dict[str, str]
) -> set[str]:
    """Fields released under the same setting that chose to create them: `self.body =
    open(p) if filename else BytesIO()`, with `filename` kept in `self.filename` (or a
    property that returns it), then `close()`: `if self.filename: self.body.close()`.
    The setting is a plain truthy test in both places, set by that method alone (a
    parameter not rebound there), and the other branch holds nothing to release."""
    found = set()
    for name, (method, self_name, _) in methods.items():
        if self_name is None:
            continue
        # A parameter stored in a field is that field's setting here (`self._name = name`).
        parameter_fields: dict[str, set[str]] = {}
        for attr, parameter in parameter_stores(method, self_name):
            parameter_fields.setdefault(parameter, set()).add(attr)
        statements = statements_in(method.body.body)
        rebound = {
            lvalue.name for stmt in statements if isinstance(stmt, AssignmentStmt)
            for lvalue in stmt.lvalues if isinstance(lvalue, NameExpr)
        }
        for stmt in statements:
            if not (isinstance(stmt, AssignmentStmt) and isinstance(stmt.rvalue, ConditionalExpr)):
                continue
            value = stmt.rvalue
            if not isinstance(value.if_expr, CallExpr) or not _holds_nothing(value.else_expr):
                continue
            tested_field = self_attribute(value.cond, self_name)
            tested = {tested_field} if tested_field is not None else set()
            if isinstance(value.cond, NameExpr) and value.cond.name not in rebound:
                tested = parameter_fields.get(value.cond.name, set())
            for lvalue in stmt.lvalues:
                field = self_attribute(lvalue, self_name)
                if field is None or field not in under_setting:
                    continue
                setting = aliases.get(under_setting[field], under_setting[field])
                if setting in tested and not _set_elsewhere(methods, setting, name):
                    found.add(field)
    return found


# In-memory stand-ins for a file: nothing to release.
_IN_MEMORY = frozenset({"BytesIO", "StringIO"})


def _holds_nothing(value: Expression) -> bool:
    """`sys.stdout`, `None`, `io.BytesIO()`: a value other than a fresh resource."""
    if isinstance(value, CallExpr):
        return isinstance(value.callee, (NameExpr, MemberExpr)) and value.callee.name in _IN_MEMORY
    return isinstance(value, (NameExpr, MemberExpr))


def _set_elsewhere(methods: dict[str, tuple[FuncDef, str | None, bool]], attribute: str, setter: str) -> bool:
    """Whether a method other than `setter` assigns `self.<attribute>`."""
    for name, (method, self_name, _) in methods.items():
        if name == setter or self_name is None:
            continue
        for stmt in statements_in(method.body.body):
            if isinstance(stmt, AssignmentStmt) and any(
                self_attribute(lvalue, self_name) == attribute for lvalue in stmt.lvalues
            ):
                return True
    return False
