"""Factories read from their bodies: a function whose every `return` hands back a resource
it has just created (`def mkbuildcontext(dockerfile): f = tempfile.NamedTemporaryFile();
...; return f`) gives its caller that resource, whatever it is declared to return (an
unannotated function returns `Any`; `-> Response` names no resource). Its calls are
creations, judged where they stand.

A return counts when it is a creation call (`return socket.socket()`, `return await
connect(dsn)`), or a local bound once to one and neither entered, released nor handed to
anything but a plain function or its own methods before it is returned. Which callee a
creation call names is decided with the names mypy resolved, and whether that callee
produces a resource by the engine's own classification of callees (FactoryReader).

Read from the body only for calls in the same module (`Producer.only_in`, hooks.py): mypy keeps no
bodies of modules loaded from its cache, so the fact must not reach a caller elsewhere, as
for the forwarded parameters of module-level functions (forwarding.py).
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import (
    FUNC_NO_INFO,
    AssignmentStmt,
    AwaitExpr,
    CallExpr,
    Decorator,
    Expression,
    FuncDef,
    MemberExpr,
    NameExpr,
    OverloadedFuncDef,
    RefExpr,
    ReturnStmt,
    Statement,
    SymbolNode,
    TypeInfo,
    Var,
    WithStmt,
)
from mypy.types import AnyType, CallableType, Instance, Type, TypeVarType, UnionType, get_proper_type
from mypy.typevars import fill_typevars

from mypy_asyncres.memo import BuildMemo
from mypy_asyncres.names import RELEASE_CALLS
from mypy_asyncres.resources.catalogue import Catalogue
from mypy_asyncres.resources.predicate import Producer, signatures
from mypy_asyncres.sites.model import is_name, passes_true
from mypy_asyncres.sites.releases import releases_now
from mypy_asyncres.sites.statements import expressions_of, statements_in
from mypy_asyncres.typeops import (
    await_result,
    enterable_or_unknown,
    has_enter_and_exit,
    method_through_mro,
    unwrap_coroutine,
)

# Whether this call, in this function, creates a resource.
IsCreation = Callable[[CallExpr, FuncDef], bool]
# The engine's classification of a callee: (the name mypy asks a hook for, is a method).
Classify = Callable[[str, bool], "Producer | None"]
# The engine's look-up of the callee's node by that name.
Callee = Callable[[str, bool], "SymbolNode | None"]


class FactoryReader:
    """Decides, once per callee, whether a function is a factory known from its body."""

    def __init__(self, classify: Classify, callee: Callee, catalogue: Catalogue, memo: BuildMemo) -> None:
        self._classify = classify
        self._callee = callee
        self._catalogue = catalogue
        self._memo = memo
        self._reading: set[str] = set()  # factories whose bodies are being read (recursion)
        self._named: dict[str, Producer | None] = {}  # callees named in factories' returns

    def read(self, func: FuncDef, fullname: str) -> Producer | None:
        """A Producer for the function's calls in its module, if every `return` hands back
        what it creates (a method declared to return its own kind is fluent, whatever it
        delegates to)."""
        if fullname in self._reading or not may_be_factory(func) or not declared_releasable(func):
            return None
        if func.info is not FUNC_NO_INFO and hands_back_own_kind(func, func.info):
            return None
        self._reading.add(fullname)
        try:
            creation = factory_returns(func, self._creates)
        finally:
            self._reading.discard(fullname)
        if creation is None:
            return None
        call = _creation_call(creation)
        named = callee_name(call, func) if call is not None else None
        inner = self._producer(*named) if named is not None else None
        return Producer(
            fullname,
            always=True,
            only_in=module_of(func),
            async_def=func.is_coroutine,
            creates=inner.creates or inner.fullname if inner is not None else "",
            enterable=self._enterable(named, isinstance(creation, AwaitExpr)) if named is not None else None,
        )

    def _producer(self, name: str, is_method: bool) -> Producer | None:
        return self._memo.answer(self._named, f"{is_method}:{name}", lambda: self._classify(name, is_method))

    def _enterable(self, named: tuple[str, bool], awaited: bool) -> bool | None:
        """Whether what the creation call gives (awaited, if the factory awaits it) can be
        entered, as its callee is declared; None if that is not known."""
        node = self._callee(*named)
        if isinstance(node, TypeInfo):
            return enterable_or_unknown(fill_typevars(node))
        if node is None:
            return None
        answers = set()
        for item in signatures(node):
            result = await_result(item.ret_type) if awaited else item.ret_type
            if result is None or isinstance(get_proper_type(result), AnyType):
                return None
            answers.add(enterable_or_unknown(result))
        return answers.pop() if len(answers) == 1 else None

    def _creates(self, call: CallExpr, func: FuncDef) -> bool:
        """Whether a call in a factory's body creates a resource (as the call's own hook
        would decide: `stream=True` where the catalogue asks for it)."""
        named = callee_name(call, func)
        if named is None:
            return False
        name, is_method = named
        producer = self._producer(name, is_method)
        if producer is None or producer.only_in not in ("", module_of(func)):
            return False
        on_self = is_method and func.info is not FUNC_NO_INFO and name.startswith(f"{func.info.fullname}.")
        if not producer.always and on_self:
            method = method_through_mro(func.info, name.rpartition(".")[2])
            if method is not None and hands_back_own_kind(method[1], func.info):
                return False  # `return await self.execute_command(...)` of a pipeline: fluent
        required = self._catalogue.required_keywords(producer.fullname)
        return not required or passes_true(call, required)


def module_of(func: FuncDef) -> str:
    return func.info.module_name if func.info is not FUNC_NO_INFO else func.fullname.rpartition(".")[0]


def may_be_factory(func: FuncDef) -> bool:
    """Whether the function ends with `return <call>` or `return <name>` (cheap: most
    functions end otherwise, and this is asked once per callee)."""
    body = func.body.body
    if not body or func.is_generator:
        return False
    last = body[-1]
    return type(last) is ReturnStmt and isinstance(last.expr, (CallExpr, AwaitExpr, NameExpr))


def factory_returns(func: FuncDef, is_creation: IsCreation) -> Expression | None:
    """The creation behind the last `return` (the call, awaited or not) if every `return`
    of the function hands back a resource it creates (for a function that may_be_factory)."""
    body = func.body.body
    last = body[-1]
    if not isinstance(last, ReturnStmt) or last.expr is None:
        return None
    call = _creation_call(last.expr)
    if call is not None and not is_creation(call, func):
        return None  # most that end with a call return no creation: no need to list the body
    statements = statements_in(body)
    returns = [s for s in statements if isinstance(s, ReturnStmt)]
    if not all(r.expr is not None and _returns_creation(r.expr, statements, func, is_creation) for r in returns):
        return None
    if isinstance(last.expr, NameExpr):
        return _bound_once(last.expr.name, statements)
    return last.expr


def declared_releasable(func: FuncDef) -> bool:
    """Whether the caller can release what the function returns, as it is declared: not
    declared (`Any`), or a class with `__enter__`/`__exit__` or a release method, also as a
    Union member (`-> Response`, `-> IO[bytes]`). `-> object` hides what it is."""
    sig = func.type
    if not isinstance(sig, CallableType):
        return True
    ret = unwrap_coroutine(get_proper_type(sig.ret_type))
    if isinstance(ret, AnyType):
        return True
    items = [get_proper_type(t) for t in ret.items] if isinstance(ret, UnionType) else [ret]
    return any(
        isinstance(t, Instance)
        and (has_enter_and_exit(t.type) or any(t.type.get(name) is not None for name in RELEASE_CALLS))
        for t in items
    )


def hands_back_own_kind(func: SymbolNode, info: TypeInfo) -> bool:
    """Whether a method is declared to return its own class (or a base), also awaited or
    as a Union member (`-> Union[Pipeline, Awaitable[Pipeline]]`), or `Self`: a fluent
    method hands back the receiver, which its creator already owns."""
    return any(
        isinstance(t, TypeVarType) or (isinstance(t, Instance) and info.has_base(t.type.fullname))
        for sig in signatures(func)
        for t in _members(sig.ret_type)
    )


def _members(typ: Type) -> list[Type]:
    """The type, its Union members, and the type arguments of each (one level: what an
    awaitable gives)."""
    proper = get_proper_type(typ)
    items = [get_proper_type(t) for t in proper.items] if isinstance(proper, UnionType) else [proper]
    found: list[Type] = list(items)
    for item in items:
        if isinstance(item, Instance):
            found.extend(get_proper_type(arg) for arg in item.args)
    return found


def callee_name(call: CallExpr, func: FuncDef) -> tuple[str, bool] | None:
    """(the name mypy would ask a hook for, whether it is a method) of a call in the body:
    a module-level name (`tempfile.NamedTemporaryFile`, `Conn`), a method on `self`
    (`self._open()`), or a method of a field whose type is known (`self._session.get`)."""
    callee = call.callee
    if isinstance(callee, RefExpr) and isinstance(callee.node, (TypeInfo, FuncDef, Decorator, OverloadedFuncDef)):
        return callee.node.fullname, False
    if not isinstance(callee, MemberExpr) or func.info is FUNC_NO_INFO or not func.arguments:
        return None
    receiver, self_name = callee.expr, func.arguments[0].variable.name
    if isinstance(receiver, NameExpr) and receiver.name == self_name:
        return f"{func.info.fullname}.{callee.name}", True
    if isinstance(receiver, MemberExpr) and isinstance(receiver.expr, NameExpr) and receiver.expr.name == self_name:
        field = func.info.get(receiver.name)
        typ = get_proper_type(field.node.type) if field is not None and isinstance(field.node, Var) else None
        if isinstance(typ, Instance):
            return f"{typ.type.fullname}.{callee.name}", True
    return None


def _creation_call(expr: Expression) -> CallExpr | None:
    if isinstance(expr, AwaitExpr):
        expr = expr.expr
    return expr if isinstance(expr, CallExpr) else None


def _returns_creation(expr: Expression, statements: list[Statement], func: FuncDef, is_creation: IsCreation) -> bool:
    call = _creation_call(expr)
    if call is not None:
        return is_creation(call, func)
    if not isinstance(expr, NameExpr):
        return False
    bound = _bound_once(expr.name, statements)
    call = _creation_call(bound) if bound is not None else None
    return call is not None and is_creation(call, func) and not _kept_or_released(expr.name, statements)


def _bound_once(name: str, statements: list[Statement]) -> Expression | None:
    """What a local is bound to, if it is bound once, to a call (`name = call`, `name =
    await call`)."""
    found: Expression | None = None
    for stmt in statements:
        if isinstance(stmt, AssignmentStmt):
            if any(isinstance(lv, NameExpr) and lv.name == name for lv in stmt.lvalues):
                if found is not None or len(stmt.lvalues) != 1 or _creation_call(stmt.rvalue) is None:
                    return None
                found = stmt.rvalue
        elif isinstance(stmt, WithStmt) and any(is_name(t, name) for t in stmt.target):
            return None
    return found


def _kept_or_released(name: str, statements: list[Statement]) -> bool:
    """Whether the function releases or consumes the local (sites/releases.py), or may hand
    it to something else: any use but as a receiver (`f.write(data)`, `f.name`), as an
    argument of a plain function (`raise_for_status(resp)`) or as what is returned. Kept
    so (`self._all.append(s)`, `stack.enter_context(f)`, `atexit.register(f.close)`,
    `other = f`, `with f:`), what it returns is shared or closed."""
    for stmt in statements:
        if releases_now(stmt, name):
            return True
        if isinstance(stmt, WithStmt) and any(is_name(e, name) for e in stmt.expr):
            return True
        expressions = expressions_of(stmt)
        allowed: set[int] = set()
        if isinstance(stmt, ReturnStmt) and stmt.expr is not None:
            allowed.add(id(stmt.expr))
        callees = {id(e.callee) for e in expressions if isinstance(e, CallExpr)}
        for expr in expressions:
            if isinstance(expr, MemberExpr) and is_name(expr.expr, name):
                if expr.name in RELEASE_CALLS and id(expr) not in callees:
                    return True  # its release method handed on (`atexit.register(f.close)`)
                allowed.add(id(expr.expr))
            elif isinstance(expr, CallExpr) and isinstance(expr.callee, NameExpr) and isinstance(
                expr.callee.node, (FuncDef, Decorator, OverloadedFuncDef)
            ):
                allowed.update(id(arg) for arg in expr.args)
        if any(is_name(e, name) and id(e) not in allowed for e in expressions):
            return True
    return False
