"""The plugin class: it only routes mypy's hook requests to the feature modules."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
import hashlib
import json
import os
import sys
from typing import Any, NoReturn, TypeVar, final

from mypy.nodes import MypyFile, SymbolNode, TypeInfo
from mypy.options import Options
from mypy.plugin import (
    ClassDefContext,
    FunctionContext,
    MethodContext,
    Plugin,
    ReportConfigContext,
)
from mypy.plugins.default import DefaultPlugin
from mypy.types import Type

import mypy_asyncres
from mypy_asyncres import errors
from mypy_asyncres import config
from mypy_asyncres.catalogue import Catalogue, Entry, load_entries, with_config
from mypy_asyncres.config import ConfigError
from mypy_asyncres.daemon import record_mark_dependencies, tracks_dependencies
from mypy_asyncres.marking import check_decorator_application, mark_class
from mypy_asyncres.names import MUST_ENTER
from mypy_asyncres.resources import Producer, ResourceTypes, classify_callee
from mypy_asyncres.verdict import CallChecker

CallHook = Callable[[FunctionContext], Type]
_UNKNOWN = object()
MethodHook = Callable[[MethodContext], Type]


@final
class AsyncResPlugin(Plugin):
    def __init__(self, options: Options) -> None:
        super().__init__(options)
        # Our hook for a name hides mypy's own: delegate to it first.
        self._default = DefaultPlugin(options)
        entries, self._catalogue_digest = load_entries()
        config_file = options.config_file or ""
        try:
            self._config = config.load(config_file)
            entries = with_config(entries, self._config, config_file)
        except ConfigError as exc:
            _stop(str(exc))
        _version_with_config(self._config)
        catalogue = Catalogue(entries, self.lookup_fully_qualified, self._loaded_modules, self._unresolved)
        # In the daemon every call records what would recheck it when a class mark changes.
        self._daemon = tracks_dependencies(options)
        self._types = ResourceTypes(catalogue, memoize=not self._daemon)
        self._checker = CallChecker(self._types)
        # Hooks per callee name, valid while the memo is (see ResourceTypes.fresh_memo).
        self._function_hooks = self._types.memo("function hooks")
        self._method_hooks = self._types.memo("method hooks")

    def _loaded_modules(self) -> dict[str, MypyFile]:
        return self._modules or {}

    def _unresolved(self, entry: Entry) -> None:
        _stop(
            f'{self.options.config_file}: error: resources: "{entry.name}" does not resolve: '
            "its module is checked but defines no such name"
        )

    def report_config_data(self, ctx: ReportConfigContext) -> Any:
        # Everything that changes the verdicts, so that mypy's cache follows it.
        return {
            "version": mypy_asyncres.__version__,
            "catalogue": self._catalogue_digest,
            "config": self._config.as_data(),
        }

    def get_class_decorator_hook_2(self, fullname: str) -> Callable[[ClassDefContext], bool] | None:
        return partial(_guarded, mark_class, True) if fullname in MUST_ENTER else None

    def get_function_hook(self, fullname: str) -> CallHook | None:
        # mypy asks for every call: answer repeated names from a memo of the hooks.
        if self._types.fresh_memo():
            hook = self._function_hooks.get(fullname, _UNKNOWN)
            if hook is not _UNKNOWN:
                return hook  # type: ignore[return-value]
        if fullname in MUST_ENTER:
            return partial(_guarded_call, check_decorator_application)
        producer = self._producer(fullname, is_method=False)
        found = None
        if producer is not None or self._daemon:
            found = partial(self._on_call, producer, self._default.get_function_hook(fullname))
        if self._types.fresh_memo():
            self._function_hooks[fullname] = found
        return found

    def get_method_hook(self, fullname: str) -> MethodHook | None:
        if self._types.fresh_memo():
            hook = self._method_hooks.get(fullname, _UNKNOWN)
            if hook is not _UNKNOWN:
                return hook  # type: ignore[return-value]
        producer = self._producer(fullname, is_method=True)
        found = None
        if producer is not None or self._daemon:
            found = partial(self._on_call, producer, self._default.get_method_hook(fullname))
        if self._types.fresh_memo():
            self._method_hooks[fullname] = found
        return found

    def _producer(self, fullname: str, is_method: bool) -> Producer | None:
        """Whether calls of `fullname` can produce a resource; None leaves mypy's hook alone.

        Runs outside any hook context, so a bug here cannot be reported on a line: the
        callee is then simply not checked (and mypy keeps going).
        """
        try:
            found = self._callee(fullname, is_method)
            node, owner, defining_name = found if found is not None else (None, None, "")
            producer = (
                classify_callee(node, owner, defining_name, self._types) if node is not None else None
            )
            return producer
        except Exception:
            if os.environ.get("MYPY_ASYNCRES_DEBUG"):
                raise
            return None

    def _callee(
        self, fullname: str, is_method: bool
    ) -> tuple[SymbolNode, TypeInfo | MypyFile | None, str] | None:
        """The callee's node, the class or module that defines it, and its defining name.

        mypy names a method by the receiver's class, which may inherit it: look it
        up through the MRO so marks and catalogue entries on a base class apply.
        """
        owner_name, _, member = fullname.rpartition(".")
        if is_method:
            if member.startswith("__") and member.endswith("__") and member != "__call__":
                return None  # dunder methods (`__aenter__`, `__await__`, ...) create nothing
            sym = self.lookup_fully_qualified(owner_name)
            info = sym.node if sym is not None else None
            if not isinstance(info, TypeInfo):
                return None
            defining = info.get_containing_type_info(member)
            method = defining.names.get(member) if defining is not None else None
            if defining is None or method is None or method.node is None:
                return None
            return method.node, defining, f"{defining.fullname}.{member}"
        sym = self.lookup_fully_qualified(fullname)
        if sym is None or sym.node is None:
            return None
        module = self._loaded_modules().get(owner_name)
        owner: TypeInfo | MypyFile | None = module
        node = sym.node
        if not isinstance(node, TypeInfo) and module is None:
            # A static or class method called through the class: `Cls.create()`.
            owner_sym = self.lookup_fully_qualified(owner_name)
            if owner_sym is not None and isinstance(owner_sym.node, TypeInfo):
                owner = owner_sym.node
        return node, owner, getattr(node, "fullname", fullname) or fullname

    def _on_call(
        self,
        producer: Producer | None,
        default_hook: Callable[[Any], Type] | None,
        ctx: FunctionContext | MethodContext,
    ) -> Type:
        ret = default_hook(ctx) if default_hook is not None else ctx.default_return_type
        if self._daemon:
            _guarded(record_mark_dependencies, None, ctx, ret)
        if producer is not None:
            _guarded(self._checker.check, None, ctx, producer, ret)
        return ret


_R = TypeVar("_R")


def _guarded(hook: Callable[..., _R], fallback: _R, ctx: Any, *args: Any) -> _R:
    """Run a hook; an unexpected exception becomes one `resource-internal` error, not a crash."""
    try:
        return hook(ctx, *args)
    except Exception as exc:
        from mypy.version import __version__ as mypy_version

        context = ctx.reason if isinstance(ctx, ClassDefContext) else ctx.context
        ctx.api.fail(errors.internal_error(exc, mypy_version), context, code=errors.RESOURCE_INTERNAL)
        return fallback


def _guarded_call(hook: Callable[[FunctionContext], Type], ctx: FunctionContext) -> Type:
    return _guarded(hook, ctx.default_return_type, ctx)


_RELEASE = mypy_asyncres.__version__.partition("+")[0]


def _version_with_config(settings: config.Config) -> None:
    """Fold the configuration into `__version__`, which mypy reads right after creating the
    plugin: its cache and the daemon (`dmypy run` restarts on a changed plugin snapshot)
    then follow configuration changes. Without configuration the version is the release."""
    data = settings.as_data()
    if any(data.values()):
        digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]
        mypy_asyncres.__version__ = f"{_RELEASE}+config.{digest}"
    else:
        mypy_asyncres.__version__ = _RELEASE


def _stop(line: str) -> NoReturn:
    """Bad configuration: one line on stderr and exit code 2, as mypy does for its own."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
    raise SystemExit(2)


def plugin_class(version: str) -> type[Plugin]:
    return AsyncResPlugin
