"""Type helpers used everywhere: what awaiting a value gives (a coroutine's result, an
awaitable's), whether a type is a coroutine, and whether it is a context manager, in
the four senses the rules need (each says how it treats `Any`)."""

from __future__ import annotations

from mypy.maptype import map_instance_to_supertype
from mypy.nodes import Decorator, Expression, FuncDef, NameExpr, SymbolNode, TypeInfo, Var
from mypy.subtypes import find_member
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    NoneType,
    ProperType,
    Type,
    UninhabitedType,
    UnionType,
    get_proper_type,
)

from mypy_asyncres.names import AWAITABLE, CONTEXT_MANAGER_PROTOCOLS, COROUTINE, GENERATOR


def supports_enter(instance: Instance, method: str) -> bool:
    """Whether the class really supports `method`: aiohttp's `ClientSession.__enter__`
    exists only to raise "use async with", declared to return None."""
    sym = instance.type.get(method)
    if sym is None:
        return False
    node = sym.node
    sig = node.func.type if isinstance(node, Decorator) else getattr(node, "type", None)
    if isinstance(sig, CallableType) and isinstance(get_proper_type(sig.ret_type), (NoneType, UninhabitedType)):
        return instance.type.get("__aenter__") is None  # `__enter__ -> None` alone is still real
    return True


def enterable_or_unknown(typ: Type) -> bool:
    """An instance that really supports entering (supports_enter), or `Any`, which may."""
    proper = get_proper_type(typ)
    if isinstance(proper, AnyType):
        return True  # not known: the usual advice
    return isinstance(proper, Instance) and (
        supports_enter(proper, "__enter__") or supports_enter(proper, "__aenter__")
    )


def is_coroutine(typ: Type) -> bool:
    proper = get_proper_type(typ)
    return isinstance(proper, Instance) and proper.type.fullname == "typing.Coroutine"


def is_awaitable_class(info: TypeInfo, memo: dict[str, bool] | None) -> bool:
    known = memo.get(info.fullname) if memo is not None else None
    if known is None:
        known = info.get("__await__") is not None or any(base.fullname == AWAITABLE for base in info.mro)
        if memo is not None:
            memo[info.fullname] = known
    return known



def await_result(typ: Type, memo: dict[str, bool] | None = None) -> Type | None:
    """What `await` on a value of this type gives, or None if it is not awaitable.

    Structural, as `await` is: a `Coroutine`, an `Awaitable` subclass, or any class
    with `__await__` returning `Generator[..., ..., R]`. memo: which classes can be
    awaited at all, kept for one build (asked for nearly every callee's return type).
    """
    proper = get_proper_type(typ)
    if not isinstance(proper, Instance):
        return None
    result = coroutine_result(proper)
    if result is not None:
        return result
    if not is_awaitable_class(proper.type, memo):
        return None
    for base in proper.type.mro:
        if base.fullname == AWAITABLE:
            mapped = map_instance_to_supertype(proper, base)
            return mapped.args[0] if mapped.args else None
    if proper.type.get("__await__") is None:
        return None
    method = get_proper_type(find_member("__await__", proper, proper))
    if not isinstance(method, CallableType):
        return None
    generator = get_proper_type(method.ret_type)
    if not isinstance(generator, Instance):
        return None
    for base in generator.type.mro:
        if base.fullname == GENERATOR:
            mapped = map_instance_to_supertype(generator, base)
            return mapped.args[2] if len(mapped.args) == 3 else None
    return None



def coroutine_result(typ: ProperType) -> Type | None:
    """`Coroutine[Any, Any, R]` (how mypy declares `async def f() -> R`): R."""
    if isinstance(typ, Instance) and typ.type.fullname == COROUTINE and len(typ.args) == 3:
        return typ.args[2]
    return None


def unwrap_coroutine(ret: ProperType) -> ProperType:
    """`async def f() -> R` is declared as `Coroutine[Any, Any, R]`: R."""
    result = coroutine_result(ret)
    return get_proper_type(result) if result is not None else ret


def has_enter_and_exit(info: TypeInfo) -> bool:
    """The class (or a base) defines `__enter__` and `__exit__`, or `__aenter__` and
    `__aexit__`: a context manager by its methods, whatever they return."""
    return (info.get("__enter__") is not None and info.get("__exit__") is not None) or (
        info.get("__aenter__") is not None and info.get("__aexit__") is not None
    )



def every_member_has_enter_and_exit(typ: Type) -> bool:
    """A class instance (every member of a union) that has_enter_and_exit; `Any` is not."""
    proper = get_proper_type(typ)
    if isinstance(proper, UnionType):
        return all(every_member_has_enter_and_exit(item) for item in proper.items)
    return isinstance(proper, Instance) and has_enter_and_exit(proper.type)


def declares_context_manager(info: TypeInfo, *, structural: bool) -> bool:
    """A declared type that tells its receiver "enter me": the context-manager protocols,
    and if structural, any class with `__enter__`/`__exit__` or `__aenter__`/`__aexit__`
    (`IO[str]`, `BinaryIO`, `io.BytesIO`)."""
    return info.fullname in CONTEXT_MANAGER_PROTOCOLS or (structural and has_enter_and_exit(info))


def method_through_mro(info: TypeInfo, name: str) -> tuple[TypeInfo, SymbolNode] | None:
    """The class of the MRO that defines `name`, and its node (mypy names a method by the
    receiver's class, which may inherit it)."""
    defining = info.get_containing_type_info(name)
    sym = defining.names.get(name) if defining is not None else None
    if defining is None or sym is None or sym.node is None:
        return None
    return defining, sym.node


def release_call(resource: Type | None, target: str, awaited: bool, *, replacing: bool = False) -> str:
    """How to release a value of this type: `await self.s.close()`, `await proc.wait()`,
    `self.pool.shutdown()`. `aclose()` first where the value was awaited (httpx's
    `Response` has both, and a sync client's cannot be closed by `aclose`); a value being
    replaced is stopped, not waited for (`self.proc.terminate()`)."""
    waiting = ("wait",) if awaited and not replacing else ()
    preference = ("close", *waiting, "shutdown", "terminate", "release")
    preference = ("aclose", *preference) if awaited else (*preference, "aclose")
    proper = get_proper_type(resource) if resource is not None else None
    if isinstance(proper, Instance):
        for method in preference:
            sym = proper.type.get(method)
            if sym is not None and sym.node is not None:
                is_async = isinstance(sym.node, FuncDef) and sym.node.is_coroutine
                return f"{'await ' if is_async else ''}{target}.{method}()"
    return f"{target}.close()"


def declared_type(expr: Expression) -> Type | None:
    """The type of a name a later statement uses, before mypy checks that statement: the
    variable's (inferred when it was bound) type."""
    node = expr.node if isinstance(expr, NameExpr) else None
    return node.type if isinstance(node, Var) else None
