"""The `__init__` that a dataclass or attrs decorator generates: which of its parameters
it stores, as given, in which field (read from the class body when mypy analyses the
class, with the class's other owner facts, facts/class_reading.py)."""

from __future__ import annotations

from typing import Final

from mypy.nodes import AssignmentStmt, CallExpr, ClassDef, FuncDef, MemberExpr, NameExpr
from mypy.types import UnboundType

from mypy_asyncres.facts.method_releases import self_attribute
from mypy_asyncres.sites.statements import statements_in

# Class decorators that generate an `__init__` storing each field as it is given:
# dataclasses' and attrs' (`attr.s`, `attrs.define`, ...).
_FIELD_CLASSES: Final = frozenset({"dataclass", "define", "frozen", "mutable", "attrs"})
_ATTRS_MODULES: Final = frozenset({"attr", "attrs"})


def generated_init_fields(defn: ClassDef) -> list[tuple[str, str]]:
    """(parameter, field) of the `__init__` a dataclass or attrs decorator generates, for
    the fields of this class's body that it stores as given: attrs names a private
    field's parameter without its underscores, dataclasses as the field; a field that
    `__post_init__` / `__attrs_post_init__` sets again is not stored as given."""
    style = ""
    for dec in defn.decorators:
        target = dec.callee if isinstance(dec, CallExpr) else dec
        if not isinstance(target, (NameExpr, MemberExpr)):
            continue
        module = target.expr.name if isinstance(target, MemberExpr) and isinstance(target.expr, NameExpr) else ""
        if target.name == "dataclass":
            style = "dataclass"
        elif target.name in _FIELD_CLASSES or (target.name == "s" and module in _ATTRS_MODULES):
            style = "attrs"
    if not style:
        return []
    reset = _set_after_init(defn)
    found = []
    for stmt in defn.defs.body:
        if not (isinstance(stmt, AssignmentStmt) and stmt.unanalyzed_type is not None and len(stmt.lvalues) == 1):
            continue
        target = stmt.lvalues[0]
        declared = stmt.unanalyzed_type
        if not isinstance(target, NameExpr) or target.name in reset:
            continue
        if isinstance(declared, UnboundType) and declared.name.endswith("ClassVar"):
            continue
        parameter = target.name.lstrip("_") if style == "attrs" else target.name
        found.append((parameter, target.name))
    return found


def _set_after_init(defn: ClassDef) -> set[str]:
    """The fields a dataclass's `__post_init__` (attrs': `__attrs_post_init__`) assigns."""
    found: set[str] = set()
    for stmt in defn.defs.body:
        if isinstance(stmt, FuncDef) and stmt.name in ("__post_init__", "__attrs_post_init__") and stmt.arguments:
            self_name = stmt.arguments[0].variable.name
            for inner in statements_in(stmt.body.body):
                if isinstance(inner, AssignmentStmt):
                    for lvalue in inner.lvalues:
                        attr = self_attribute(lvalue, self_name)
                        if attr is not None:
                            found.add(attr)
    return found
