"""Keeping the daemon (fine-grained mode) right when a class mark or an owner class's facts
change: every fine-grained dependency the plugin declares.

The daemon rechecks a function when something it depends on changes. A call of `Conn()`
depends on `<lib.Conn>`, but adding `@must_enter` to `Conn` changes only its metadata and
the attribute the mark generates (see facts/marked.mark_class), so nothing would recheck the
call. In fine-grained mode every call therefore also depends on that attribute of each
class it produces (and of their bases), recorded as plugin dependencies of the module.
"""

from __future__ import annotations

from typing import Any, Final

from mypy.checker import TypeChecker
from mypy.nodes import TypeInfo
from mypy.options import Options
from mypy.plugin import ClassDefContext, FunctionContext, MethodContext
from mypy.plugins.common import add_attribute_to_class
from mypy.types import Instance, LiteralType, Type, UnionType, get_proper_type

from mypy_asyncres.typeops import await_result

# A generated class attribute of marked classes (see spell_mark).
CLASS_MARK_ATTRIBUTE: Final = "__mypy_asyncres_must_enter__"
# In the daemon, a generated class attribute that spells an owner class's facts.
FACTS_ATTRIBUTE: Final = "__mypy_asyncres_owner_facts__"


def records_dependencies(options: Options) -> bool:
    """Whether mypy records fine-grained dependencies: the daemon, or `--cache-fine-grained`
    (the plugin then declares what would recheck its findings)."""
    return options.fine_grained_incremental or options.cache_fine_grained


def spell_mark(ctx: ClassDefContext) -> None:
    """The daemon does not compare metadata; a generated class attribute makes adding or
    removing a class's mark a change of the class, so its users are checked again."""
    add_attribute_to_class(
        ctx.api,
        ctx.cls,
        CLASS_MARK_ATTRIBUTE,
        ctx.api.named_type("builtins.bool"),
        final=True,
        is_classvar=True,
        overwrite_existing=True,
    )


def spell_owner_facts(ctx: ClassDefContext, facts: dict[str, Any]) -> None:
    """As for marks: a generated attribute whose type spells an owner class's facts makes
    a change of them a change of the class."""
    spelled = LiteralType(repr(sorted(facts.items())), ctx.api.named_type("builtins.str"))
    add_attribute_to_class(
        ctx.api, ctx.cls, FACTS_ATTRIBUTE, spelled, final=True, is_classvar=True, overwrite_existing=True
    )


def _classes(typ: Type, depth: int = 0) -> list[Instance]:
    proper = get_proper_type(typ)
    if isinstance(proper, UnionType):
        return [i for item in proper.items for i in _classes(item, depth)]
    if not isinstance(proper, Instance):
        return []
    found = [proper]
    result = await_result(proper) if depth == 0 else None
    if result is not None:
        found.extend(_classes(result, depth + 1))
    return found


def record_mark_dependencies(ctx: FunctionContext | MethodContext, produced: Type, facts_owner: str = "") -> None:
    checker = ctx.api
    assert isinstance(checker, TypeChecker)
    target = checker.tscope.current_target()
    deps = checker.tree.plugin_deps
    if facts_owner:
        deps.setdefault(f"<{facts_owner}.{FACTS_ATTRIBUTE}>", set()).add(target)
    for instance in _classes(produced):
        for base in instance.type.mro:
            if base.module_name != "builtins":
                deps.setdefault(f"<{base.fullname}.{CLASS_MARK_ATTRIBUTE}>", set()).add(target)


def record_owner_dependencies(checker: TypeChecker, owner: TypeInfo) -> None:
    """A field judged by its class's release facts depends on them (facts/owner_classes.py exposes
    them to the daemon as a generated attribute of each class that has them)."""
    target = checker.tscope.current_target()
    deps = checker.tree.plugin_deps
    for base in owner.mro:
        if base.module_name != "builtins":
            deps.setdefault(f"<{base.fullname}.{FACTS_ATTRIBUTE}>", set()).add(target)
