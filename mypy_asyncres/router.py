"""The plugin class: it routes mypy's hook requests to the feature modules.

It imports little: in a fully warm run mypy creates the plugin and reads its version and
configuration data (see cache/fingerprint.py), nothing else, so the checking machinery
(hooks.py) is built on the first hook mypy asks for.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn, final

from mypy.nodes import MypyFile
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

from mypy_asyncres import config
from mypy_asyncres.cache.fingerprint import TYPESHED_DIR, config_data, set_version
from mypy_asyncres.config import ConfigError
from mypy_asyncres.output import errors  # noqa: F401  (errors registers the codes with mypy)

if TYPE_CHECKING:  # importing these at runtime is what the laziness avoids
    from mypy_asyncres.hooks import Engine
    from mypy_asyncres.resources.catalogue import Entry


_STDLIB = frozenset(sys.stdlib_module_names) | {"builtins", "_typeshed", "typing_extensions"}


@final
class AsyncResPlugin(Plugin):
    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._config_file = options.config_file or ""
        try:
            self._config = config.load(self._config_file)
        except ConfigError as exc:
            _stop(str(exc))
        set_version(self._config)
        self._config_data = config_data(self._config)
        if self._config_data is None:
            # No configuration, no data for any module: mypy's own (compiled) method answers
            # None, without a call into Python for each module of every run.
            vars(self)["report_config_data"] = super().report_config_data
        self._engine_instance: Engine | None = None
        # Hooks by callee name, kept for the build (the engine decides what may be kept).
        self._function_hooks = HookTable(self._find_function_hook)
        self._method_hooks = HookTable(self._find_method_hook)
        # mypy asks for a hook at every call it checks, most often by far. As
        # instance attributes (which shadow the methods below), the tables' own lookups
        # answer those requests in C: only a name seen for the first time runs Python.
        # mypy asks for the class hook again for each class whose analysis it deferred.
        self._class_hooks = HookTable(self._find_class_hook)
        vars(self).update(
            get_function_hook=self._function_hooks.__getitem__,
            get_method_hook=self._method_hooks.__getitem__,
            get_customize_class_mro_hook=self._class_hooks.__getitem__,
        )
        self._class_hook: Callable[[ClassDefContext], None] | None = None
        if self._config.ignore_resources:
            self._engine()  # names to ignore are checked against the catalogue at start

    def _engine(self) -> Engine:
        if self._engine_instance is None:
            from mypy_asyncres.cache.daemon import records_dependencies
            from mypy_asyncres.hooks import Engine

            try:
                self._engine_instance = Engine(
                    self._config,
                    self._config_file,
                    DefaultPlugin(self.options),
                    self.lookup_fully_qualified,
                    self._loaded_modules,
                    self._unresolved,
                    records_dependencies(self.options),
                    self._function_hooks,
                    self._method_hooks,
                )
            except ConfigError as exc:
                _stop(str(exc))
        return self._engine_instance

    def _loaded_modules(self) -> dict[str, MypyFile]:
        return self._modules or {}

    def _unresolved(self, entry: Entry) -> None:
        _stop(
            config.error_line(
                self.options.config_file or "",
                f'resources: "{entry.name}" does not resolve: its module is checked but defines no such name',
            )
        )

    def report_config_data(self, ctx: ReportConfigContext) -> Any:
        # The configuration, so that mypy's cache follows it, for the modules whose verdicts
        # mypy can show: not the standard library's stubs that mypy ships, whose cache then
        # survives a change of the configuration (see cache/fingerprint.py).
        return None if ctx.path.startswith(TYPESHED_DIR) else self._config_data

    def get_class_decorator_hook_2(self, fullname: str) -> Callable[[ClassDefContext], bool] | None:
        # Imported here, as below: a fully warm run asks for no hook.
        from mypy_asyncres.names import MUST_ENTER

        if fullname not in MUST_ENTER:
            return None
        from mypy_asyncres.facts.marked import mark_class
        from mypy_asyncres.guard import guarded

        return partial(guarded, mark_class, True)  # (True: the decorator hook's own answer)

    def get_customize_class_mro_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        return self._class_hooks[fullname]  # type: ignore[no-any-return]

    def _find_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        # Asked for every class mypy analyses: what it releases and lends (owner_classes.py).
        # The standard library's classes come from stubs, which have no bodies to read.
        if fullname.partition(".")[0] in _STDLIB:
            hook = None
        else:
            if self._class_hook is None:
                from mypy_asyncres.facts.owner_classes import record_class
                from mypy_asyncres.guard import guarded

                record = partial(record_class, release_methods=config.release_methods(self._config))
                self._class_hook = partial(guarded, record, None)
            hook = self._class_hook
        self._class_hooks[fullname] = hook
        return hook

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        return self._function_hooks[fullname]  # type: ignore[no-any-return]

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        return self._method_hooks[fullname]  # type: ignore[no-any-return]

    def _find_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        return self._engine().call_hook(fullname, is_method=False)

    def _find_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        return self._engine().call_hook(fullname, is_method=True)


class HookTable(dict[str, Any]):
    """Hooks by callee name; a name not in the table is asked of `find`, which stores
    the answer when it may be kept (the daemon keeps none, see resources/predicate.py)."""

    __slots__ = ("_find",)

    def __init__(self, find: Callable[[str], Any]) -> None:
        super().__init__()
        self._find = find

    def __missing__(self, fullname: str) -> Any:
        return self._find(fullname)


def _stop(line: str) -> NoReturn:
    """Bad configuration: one line on stderr and exit code 2, as mypy does for its own."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
    raise SystemExit(2)


def plugin_class(version: str) -> type[Plugin]:
    return AsyncResPlugin
