"""Hooks never crash mypy: an unexpected exception becomes one `resource-internal` error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from mypy.plugin import ClassDefContext, FunctionContext
from mypy.types import Type

from mypy_asyncres.output import errors

_R = TypeVar("_R")


def guarded(hook: Callable[..., _R], fallback: _R, ctx: Any, *args: Any) -> _R:
    """Run a hook; an exception is reported at the hook's line and `fallback` returned."""
    try:
        return hook(ctx, *args)
    except Exception as exc:
        from mypy.version import __version__ as mypy_version

        if isinstance(ctx, ClassDefContext):
            # The class-MRO hook has no reason expression: the class itself.
            context = ctx.reason if ctx.reason.line >= 0 else ctx.cls
        else:
            context = ctx.context
        ctx.api.fail(errors.internal_error(exc, mypy_version), context, code=errors.RESOURCE_INTERNAL)
        return fallback


def guarded_call(hook: Callable[[FunctionContext], Type], ctx: FunctionContext) -> Type:
    return guarded(hook, ctx.default_return_type, ctx)
