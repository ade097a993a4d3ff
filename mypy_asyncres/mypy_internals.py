"""Every use of mypy's internals: what the plugin needs and mypy's plugin interface does
not offer. Supporting the next mypy release means auditing this file (and the daemon's
dependency code, cache/daemon.py).

Each helper names the internal it reads; none changes what mypy itself reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mypy.checker import TypeChecker
from mypy.nodes import MypyFile, TypeInfo


def errors_hidden(api: Any) -> bool:
    """Whether mypy shows no error of the file being checked: an installed library
    (`Errors.ignored_files`) or `ignore_errors`."""
    errors = api.msg.errors
    return bool(errors.file in errors.ignored_files or errors.options.ignore_errors)


def checking_pass(checker: TypeChecker) -> int:
    """Which pass over the module this is (`TypeChecker.pass_num`): a call deferred to a
    later pass is checked again there."""
    return checker.pass_num


def current_tree(api: Any) -> MypyFile:
    """The module being checked (`TypeChecker.tree`)."""
    tree: MypyFile = api.tree
    return tree


def build_modules(api: Any) -> dict[str, MypyFile]:
    """The modules of the build (`TypeChecker.modules`, `SemanticAnalyzer.modules`)."""
    modules: dict[str, MypyFile] = api.modules
    return modules


def set_fullname(info: TypeInfo, fullname: str) -> None:
    """A generated class's full name (`TypeInfo._fullname` has no setter)."""
    info._fullname = fullname


@contextmanager
def past_error_watchers(checker: TypeChecker) -> Iterator[None]:
    """Report past mypy's error watchers (`Errors._watchers`), which filter what is
    reported inside speculative checks (overload items, inference attempts)."""
    errors = checker.msg.errors
    watchers = errors._watchers
    errors._watchers = []
    try:
        yield
    finally:
        errors._watchers = watchers


def watched_attempt_failed(checker: TypeChecker) -> bool:
    """Whether the speculative check being watched already has errors of its own."""
    watchers = checker.msg.errors._watchers
    return bool(watchers) and watchers[-1].has_new_errors()
