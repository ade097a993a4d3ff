"""Type helpers the rules share: whether a type really supports entering, and whether it
is a coroutine."""

from __future__ import annotations

from mypy.nodes import Decorator
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    NoneType,
    Type,
    UninhabitedType,
    get_proper_type,
)


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
    proper = get_proper_type(typ)
    if isinstance(proper, AnyType):
        return True  # not known: the usual advice
    return isinstance(proper, Instance) and (supports_enter(proper, "__enter__") or supports_enter(proper, "__aenter__"))


def is_coroutine(typ: Type) -> bool:
    proper = get_proper_type(typ)
    return isinstance(proper, Instance) and proper.type.fullname == "typing.Coroutine"
