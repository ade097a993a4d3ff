"""The checking machinery behind the plugin class, built on the first hook mypy asks for.

A fully warm mypy run asks for none, so it never imports the catalogue, the walker or
the rules (the plugin's whole cost there is loading the plugin class).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import Any

from mypy.checker import TypeChecker
from mypy.nodes import CallExpr, FuncDef, MypyFile, SuperExpr, SymbolNode, TypeInfo
from mypy.plugin import FunctionContext, MethodContext
from mypy.plugins.default import DefaultPlugin
from mypy.types import Type

from mypy_asyncres.cache.daemon import record_mark_dependencies
from mypy_asyncres.config import Config, release_methods
from mypy_asyncres.facts.marked import check_decorator_application, record_owns
from mypy_asyncres.facts.returned_creations import FactoryReader
from mypy_asyncres.guard import guarded, guarded_call
from mypy_asyncres.memo import BuildMemo
from mypy_asyncres.mypy_internals import errors_hidden
from mypy_asyncres.names import MUST_ENTER, OWNS
from mypy_asyncres.resources.catalogue import (
    Catalogue,
    Entry,
    load_entries,
    with_config,
)
from mypy_asyncres.resources.predicate import Producer, ResourceTypes, classify_callee
from mypy_asyncres.rules.checker import CallChecker
from mypy_asyncres.typeops import method_through_mro

Lookup = Callable[[str], Any]


class Engine:
    def __init__(
        self,
        settings: Config,
        config_file: str,
        default: DefaultPlugin,
        lookup: Lookup,
        modules: Callable[[], dict[str, MypyFile]],
        on_unresolved: Callable[[Entry], None],
        daemon: bool,
        function_hooks: dict[str, Any],
        method_hooks: dict[str, Any],
    ) -> None:
        entries = with_config(load_entries(), settings, config_file)  # may raise ConfigError
        self._default = default
        self._lookup = lookup
        self._modules = modules
        # In the daemon every call records what would recheck it when a class mark changes.
        self._daemon = daemon
        # The hook tables (the plugin class answers from them first) are written here
        # alone, through the memo that forgets what the catalogue's growth makes stale.
        self._memo = BuildMemo(keep=not daemon)
        self.types = ResourceTypes(
            Catalogue(entries, lookup, modules, on_unresolved, self._memo),
            self._memo,
            release_methods=release_methods(settings),
            owners_are_resources=settings.owners_are_resources,
        )
        self._checker = CallChecker(self.types)
        self.function_hooks = function_hooks
        self.method_hooks = method_hooks
        self._super_producers: dict[str, Producer | None] = {}
        self._factories = FactoryReader(
            lambda name, is_method: self._classify(name, is_method)[0],
            self._callee_node,
            self.types.catalogue,
            self._memo,
        )

    def call_hook(self, fullname: str, is_method: bool) -> Callable[[Any], Type] | None:
        """The hook for calls of `fullname`, or None to leave them to mypy."""
        if not is_method and fullname in MUST_ENTER:
            hook = self.function_hooks[fullname] = partial(guarded_call, check_decorator_application)
            return hook
        if not is_method and fullname in OWNS:
            hook = self.function_hooks[fullname] = partial(guarded_call, record_owns)
            return hook
        if not is_method and " of " in fullname:
            # mypy names a method "name of Class" when it cannot name the receiver's type:
            # `super().name(...)`. The call itself says which method it is.
            hook = self.function_hooks[fullname] = partial(guarded_call, self._on_super_call)
            return hook
        self.types.catalogue.settle_configured()
        memo = self.method_hooks if is_method else self.function_hooks
        return self._memo.answer(memo, fullname, lambda: self._hook(fullname, is_method))

    def _hook(self, fullname: str, is_method: bool) -> Callable[[Any], Type] | None:
        producer, defining_class = self._classify(fullname, is_method)
        if producer is None and not self._daemon:
            return None
        # Our hook for a name hides mypy's own: delegate to it first.
        default = (
            self._default.get_method_hook(fullname) if is_method else self._default.get_function_hook(fullname)
        )
        # In the daemon, a method call also depends on its class's ownership facts (what
        # the method lends may change with its body, see facts/owner_classes.py).
        facts_owner = defining_class if self._daemon else ""
        return partial(self._on_call, producer, default, facts_owner)

    def _classify(self, fullname: str, is_method: bool) -> tuple[Producer | None, str]:
        """Whether calls of `fullname` can produce a resource, and the class that defines
        it when it is a method ("" otherwise).

        Runs outside any hook context, so a bug here cannot be reported on a line: the
        callee is then simply not checked (and mypy keeps going).
        """
        try:
            found = self._callee(fullname, is_method)
            if found is None:
                return None, ""
            node, owner, defining_name = found
            defining_class = owner.fullname if isinstance(owner, TypeInfo) else ""
            producer = classify_callee(node, owner, defining_name, self.types)
            if producer is None and type(node) is FuncDef:
                producer = self._factories.read(node, defining_name)
            return producer, defining_class
        except Exception:
            if os.environ.get("MYPY_ASYNCRES_DEBUG"):
                raise
            return None, ""

    def _callee_node(self, fullname: str, is_method: bool) -> SymbolNode | None:
        found = self._callee(fullname, is_method)
        return found[0] if found is not None else None

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
            sym = self._lookup(owner_name)
            info = sym.node if sym is not None else None
            if not isinstance(info, TypeInfo):
                return None
            found = method_through_mro(info, member)
            if found is None:
                return None
            defining, method = found
            return method, defining, f"{defining.fullname}.{member}"
        sym = self._lookup(fullname)
        if sym is None or sym.node is None:
            return None
        module = self._modules().get(owner_name)
        owner: TypeInfo | MypyFile | None = module
        node = sym.node
        if not isinstance(node, TypeInfo) and module is None:
            # A static or class method called through the class: `Cls.create()`.
            owner_sym = self._lookup(owner_name)
            if owner_sym is not None and isinstance(owner_sym.node, TypeInfo):
                owner = owner_sym.node
        return node, owner, getattr(node, "fullname", fullname) or fullname

    def _on_super_call(self, ctx: FunctionContext) -> Type:
        ret = ctx.default_return_type
        call = ctx.context
        if not (isinstance(call, CallExpr) and isinstance(call.callee, SuperExpr) and call.callee.info):
            return ret
        info, name = call.callee.info, call.callee.name
        defining = next((base for base in info.mro[1:] if name in base.names), None)
        if defining is None:
            return ret
        fullname = f"{defining.fullname}.{name}"
        producer = self._memo.answer(self._super_producers, fullname, lambda: self._classify(fullname, True)[0])
        if producer is not None:
            return self._on_call(producer, None, "", ctx)
        return ret

    def _on_call(
        self,
        producer: Producer | None,
        default_hook: Callable[[Any], Type] | None,
        facts_owner: str,
        ctx: FunctionContext | MethodContext,
    ) -> Type:
        ret = default_hook(ctx) if default_hook is not None else ctx.default_return_type
        if errors_hidden(ctx.api):
            # Installed libraries, `ignore_errors`: nothing reported there is shown.
            return ret
        if self._daemon:
            guarded(record_mark_dependencies, None, ctx, ret, facts_owner)
        if producer is not None and (not producer.only_in or producer.only_in == _module_checked(ctx)):
            guarded(self._checker.check, None, ctx, producer, ret)
        return ret


def _module_checked(ctx: FunctionContext | MethodContext) -> str:
    return ctx.api.tree.fullname if isinstance(ctx.api, TypeChecker) else ""
