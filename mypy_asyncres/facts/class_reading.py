"""Reading a class's body for its owner facts: the fields its release methods release,
its borrowing methods, the parameters it keeps and releases, forwards or enters.

The facts are syntactic and are read when mypy analyses the class (a hook that runs for
every class), then kept in its metadata (cache/metadata.py), which mypy's cache keeps: a
subclass in another module sees its bases' facts, cold or warm. A release method
(`close`, `aclose`, `__exit__`, `__aexit__`, the configured `release_methods`) releases a
field directly, under a guard, through a local alias or a loop over it, or in a method it
calls on `self`. A borrowing method's every `return` hands back a field (`def session(self)
-> ClientSession: return self._session`): its calls lend what the object owns.
"""

from __future__ import annotations

from typing import Any

from mypy.nodes import (
    AssignmentStmt,
    CallExpr,
    ClassDef,
    Decorator,
    ExpressionStmt,
    FuncDef,
    MemberExpr,
    NameExpr,
    OverloadedFuncDef,
    ReturnStmt,
    SuperExpr,
    WithStmt,
)
from mypy.server.subexpr import get_subexpressions
from mypy.types import CallableType, UnboundType

from mypy_asyncres.cache import metadata
from mypy_asyncres.facts.forwarding import (
    SUPER_INIT,
    Forward,
    entered_parameters,
    forwards_of,
    is_super_call,
    super_init_forwards,
)
from mypy_asyncres.facts.generated_init import generated_init_fields
from mypy_asyncres.facts.method_releases import MethodReleases, parameter_stores, self_attribute
from mypy_asyncres.facts.setting_releases import created_under_setting
from mypy_asyncres.names import (
    RELEASE_CALLS,
    is_owner_release_method,
)
from mypy_asyncres.sites.model import is_name
from mypy_asyncres.sites.statements import blocks_of, statements_in


def _decorator_names(dec: Decorator) -> set[str]:
    """The decorators' last names (`staticmethod`, `property`, `setter`): the hook runs
    before mypy analyses them."""
    names = set()
    for expr in dec.original_decorators or dec.decorators:
        if isinstance(expr, (NameExpr, MemberExpr)):
            names.add(expr.name)
    return names


_NOT_ON_SELF = frozenset({"staticmethod", "classmethod"})


_PROPERTY = frozenset({"property", "cached_property", "setter", "getter", "deleter"})


_SIMPLE_KINDS = frozenset({AssignmentStmt, ReturnStmt, ExpressionStmt})


def _methods(defn: ClassDef) -> dict[str, tuple[FuncDef, str | None, bool]]:
    """name -> (function, the name of its `self` parameter or None, is a property)."""
    found: dict[str, tuple[FuncDef, str | None, bool]] = {}
    for stmt in defn.defs.body:
        if isinstance(stmt, OverloadedFuncDef):
            if stmt.impl is None:
                continue
            stmt = stmt.impl
        if isinstance(stmt, FuncDef):
            found[stmt.name] = (stmt, _self_name(stmt, set()), False)
        elif isinstance(stmt, Decorator):
            names = _decorator_names(stmt)
            found[stmt.func.name] = (stmt.func, _self_name(stmt.func, names), bool(names & _PROPERTY))
    return found


def _releases_through_base(
    methods: dict[str, tuple[FuncDef, str | None, bool]], release_methods: frozenset[str]
) -> bool:
    """Whether every release method the class defines calls a release method on `self`
    or on `super()` (`async def __aexit__(self, *exc): self.close()`, `def close(self):
    super().close(); ...`): what the base releases, it still releases."""
    for name, (method, self_name, _) in methods.items():
        if not is_owner_release_method(name, release_methods) or self_name is None:
            continue
        if not any(
            isinstance(e, CallExpr)
            and isinstance(e.callee, (MemberExpr, SuperExpr))
            and is_owner_release_method(e.callee.name, release_methods)
            and (isinstance(e.callee, SuperExpr) or is_super_call(e.callee.expr) or is_name(e.callee.expr, self_name))
            for e in get_subexpressions(method.body)
        ):
            return False
    return True


def _self_name(func: FuncDef, decorators: set[str]) -> str | None:
    if decorators & _NOT_ON_SELF or not func.arguments:
        return None
    return func.arguments[0].variable.name


def _returns_own_attribute(func: FuncDef, self_name: str) -> bool:
    """Whether every `return` of the method hands back `self.<attr>`. Getters end with
    such a return: the last statement is checked first (most methods stop there)."""
    body = func.body.body
    if not body:
        return False
    last = body[-1]
    if not (isinstance(last, ReturnStmt) and last.expr is not None and self_attribute(last.expr, self_name)):
        return False
    return all(
        s.expr is not None and self_attribute(s.expr, self_name) is not None
        for s in statements_in(body)
        if isinstance(s, ReturnStmt)
    )


def _stored_parameters(
    methods: dict[str, tuple[FuncDef, str | None, bool]], attributes: set[str] | None
) -> dict[str, list[str]]:
    """Parameters that a method stores as they are (`self._sock = sock`) in one of these
    attributes (None: any): passing a resource there hands it to the object, which
    releases it."""
    owns: dict[str, list[str]] = {}
    for name, (method, self_name, _) in methods.items():
        if self_name is None:
            continue
        for attr, parameter in parameter_stores(method, self_name):
            if attributes is None or attr in attributes:
                found = owns.setdefault(name, [])
                if parameter not in found:
                    found.append(parameter)
    return owns


def _owned_under_flag(
    methods: dict[str, tuple[FuncDef, str | None, bool]], flagged: dict[str, set[str]]
) -> dict[str, dict[str, list[Any]]]:
    """Parameters a method stores in a field that is released only under a flag which
    another of its parameters sets (`self.handle = handle; self.close_handle =
    close_handle`): param -> [that flag parameter, whether it is on by default]."""
    found: dict[str, dict[str, list[Any]]] = {}
    for name, (method, self_name, _) in methods.items():
        if self_name is None or len(method.arguments) < 3:
            continue
        arguments = {arg.variable.name: arg for arg in method.arguments[1:]}
        stored = dict(parameter_stores(method, self_name))  # attribute -> the parameter stored in it
        for attr, param in stored.items():
            flag_params = {stored.get(flag) for flag in flagged.get(attr, ())}
            if len(flag_params) != 1 or None in flag_params:
                continue
            (flag,) = flag_params
            assert flag is not None
            initializer = arguments[flag].initializer
            off = isinstance(initializer, NameExpr) and initializer.name in ("False", "None")
            found.setdefault(name, {})[param] = [flag, not off]
    return found


# Declared results that are no resource: a method declared so forwards nothing to one.
_PLAIN_RETURNS = frozenset({"None", "bool", "int", "str", "float", "bytes", "list", "dict", "set", "tuple", "Any"})


def _takes_a_context_manager(sig: CallableType) -> bool:
    """A parameter annotated as a context manager (`AbstractAsyncContextManager[None]`,
    `ContextManager[T]`): the only kind a callee can be seen to enter."""
    for t in sig.arg_types:
        if type(t) is UnboundType and t.name.endswith("ContextManager"):
            return True
    return False


def _note_self_items(stmt: WithStmt, self_name: str, found: set[str]) -> None:
    for item in stmt.expr:
        attr = self_attribute(item, self_name)
        if attr is not None:
            found.add(attr)


def _field_aliases(methods: dict[str, tuple[FuncDef, str | None, bool]]) -> dict[str, str]:
    """Properties that return a field: property name -> the field."""
    found = {}
    for name, (method, self_name, is_property) in methods.items():
        body = method.body.body
        if is_property and self_name is not None and body and isinstance(body[-1], ReturnStmt):
            value = body[-1].expr
            attr = self_attribute(value, self_name) if value is not None else None
            if attr is not None and attr != name:
                found[name] = attr
    return found


def _stored_closers(methods: dict[str, tuple[FuncDef, str | None, bool]]) -> dict[str, str]:
    """Fields that keep a bound release method of another field: `self._closer =
    self.fp.close` -> {"_closer": "fp"}."""
    found = {}
    for method, self_name, _ in methods.values():
        if self_name is None:
            continue
        for stmt in method.body.body:  # `self._closer = self.fp.close` stands at the top
            if not (isinstance(stmt, AssignmentStmt) and isinstance(stmt.rvalue, MemberExpr)):
                continue
            if stmt.rvalue.name not in RELEASE_CALLS:
                continue
            target = self_attribute(stmt.rvalue.expr, self_name)
            if target is None:
                continue
            for lvalue in stmt.lvalues:
                holder = self_attribute(lvalue, self_name)
                if holder is not None:
                    found[holder] = target
    return found


def analyse_class(defn: ClassDef, release_methods: frozenset[str]) -> dict[str, Any]:
    """The attributes the class's release methods release, its borrowing methods, and the
    parameters of its methods that it owns (stored in an attribute it always releases)."""
    borrows: list[str] = []
    forwards: dict[str, list[Forward]] = {}
    enters: dict[str, list[str]] = {}
    entered_fields: set[str] = set()
    has_release = False
    for stmt in defn.defs.body:
        # Most classes have neither a release method nor a getter: one cheap pass first
        # (it runs for every class mypy analyses).
        if type(stmt) is Decorator:
            func = stmt.func
        elif type(stmt) is FuncDef:
            func = stmt
        else:
            has_release = has_release or (
                type(stmt) is OverloadedFuncDef and is_owner_release_method(stmt.name, release_methods)
            )
            continue
        arguments = func.arguments
        body = func.body.body
        if arguments and body:
            sig = func.unanalyzed_type
            if type(sig) is CallableType:
                # Only annotated functions can be declared to return a resource or to
                # take a context manager.
                ret = sig.ret_type
                if type(ret) is UnboundType and ret.name.rpartition(".")[2] not in _PLAIN_RETURNS:
                    forwarded = forwards_of(func, statements_in(body))
                    if forwarded:
                        forwards[func.name] = forwarded
                if _takes_a_context_manager(sig):
                    entering = entered_parameters(func)
                    if entering:
                        enters[func.name] = entering
            if func.name == "__init__":
                to_base = super_init_forwards(func)
                if to_base:
                    forwards[func.name] = to_base
            # A field some method enters (`with self._stack:`) is released at its exit:
            # a `with` at the top of its body or one block down (a `try`, an `if`).
            receiver = arguments[0].variable.name
            for top in body:
                if type(top) in _SIMPLE_KINDS:
                    continue
                if type(top) is WithStmt:
                    _note_self_items(top, receiver, entered_fields)
                for block in blocks_of(top):
                    for inner in block.body:
                        if type(inner) is WithStmt:
                            _note_self_items(inner, receiver, entered_fields)
        if is_owner_release_method(func.name, release_methods):
            has_release = True
            continue
        body = func.body.body
        last = body[-1] if body else None
        if (
            type(last) is ReturnStmt
            and type(last.expr) is MemberExpr
            and func.unanalyzed_type is not None
            and func.arguments
        ):
            # Only annotated methods can be declared to return a resource.
            names = _decorator_names(stmt) if isinstance(stmt, Decorator) else set()
            self_name = _self_name(func, names)
            if self_name is not None and not names & _PROPERTY and _returns_own_attribute(func, self_name):
                borrows.append(func.name)
    released: set[str] = set()
    owns: dict[str, list[str]] = {}
    owns_if: dict[str, dict[str, list[Any]]] = {}
    opaque = False
    if has_release:
        methods = _methods(defn)
        facts: dict[str, MethodReleases] = {}
        pending = [name for name in methods if is_owner_release_method(name, release_methods)]
        while pending:
            name = pending.pop()
            if name in facts:
                continue
            method, self_name, _ = methods[name]
            if self_name is None:
                continue
            if not method.body.body and is_owner_release_method(name, release_methods):
                # mypy drops the bodies of methods in modules whose errors it hides (an
                # installed package, `follow_imports = silent`): what it releases is not
                # known, so it counts as releasing what the object holds.
                opaque = True
            method_facts = facts[name] = MethodReleases(method, self_name)
            pending.extend(called for called in method_facts.calls if called in methods and called not in facts)
        # Released through a property that returns the field (`self.pool.close()`), or
        # through a bound release method kept in a field (`self._closer = self.fp.close`).
        aliases = _field_aliases(methods)
        # (Only a call on `self` of something that is no method can be a stored closer.)
        called_fields = set().union(*(f.calls for f in facts.values())) - methods.keys()
        closers = _stored_closers(methods) if called_fields else {}
        for method_facts in facts.values():
            for called in method_facts.calls & closers.keys():
                method_facts.released.add(closers[called])
                method_facts.always_released.add(closers[called])
            for found in (method_facts.released, method_facts.always_released):
                found |= {aliases[a] for a in found if a in aliases}
            released |= method_facts.released
        under_setting = {a: s for f in facts.values() for a, s in f.under_setting.items() if a not in released}
        if under_setting:
            released |= created_under_setting(methods, under_setting, aliases)
        always = set().union(*(f.always_released for f in facts.values()))
        if opaque:
            owns = _stored_parameters(methods, None)
        elif always:
            owns = _stored_parameters(methods, always)
            if "__init__" not in methods:
                fields = [parameter for parameter, field in generated_init_fields(defn) if field in always]
                if fields:
                    owns["__init__"] = fields
        flagged: dict[str, set[str]] = {}
        for method_facts in facts.values():
            for attr, flags in method_facts.flags.items():
                if attr not in always:
                    flagged.setdefault(attr, set()).update(flags)
        if flagged and not opaque:
            owns_if = _owned_under_flag(methods, flagged)
        init_forwards = forwards.get("__init__")
        if init_forwards and init_forwards[0][1] == SUPER_INIT and not _releases_through_base(methods, release_methods):
            # A release method of its own that does not call the base's (`def close(self):
            # pass`) decides what it releases, not the base's.
            del forwards["__init__"]
    result: dict[str, Any] = {}
    released |= entered_fields
    if opaque:
        result[metadata.OPAQUE_RELEASE] = True
    if forwards:
        result[metadata.FORWARDS] = forwards
    if enters:
        result[metadata.ENTERS] = enters
    if owns:
        result[metadata.OWNS_INFERRED] = owns
    if owns_if:
        result[metadata.OWNS_IF] = owns_if
    if released:
        result[metadata.RELEASES] = sorted(released)
    if borrows:
        result[metadata.BORROWS] = sorted(borrows)
    return result
