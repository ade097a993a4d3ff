"""A finding (code, message, fix note) and how it reaches mypy's error list without
disturbing mypy's speculative checks of overloaded calls."""

from __future__ import annotations

from dataclasses import dataclass

from mypy.checker import TypeChecker
from mypy.errorcodes import ErrorCode
from mypy.nodes import Context

from mypy_asyncres.mypy_internals import past_error_watchers, watched_attempt_failed


@dataclass(frozen=True)
class Finding:
    code: ErrorCode
    message: str  # empty: a note alone
    note: str | None = None
    once_per: str = ""  # a note given once per this key (a class), not at every site


def report(
    checker: TypeChecker,
    finding: Finding,
    context: Context,
    key: tuple[int, int],
    reported: set[object],
    *,
    overloaded: bool = True,
) -> bool:
    """Report a finding without disturbing mypy's speculative checks.

    mypy checks an overloaded call against each item with errors filtered and takes an
    item whose attempt raised no error: an error of ours inside an attempt would reject
    the right item and change the inferred type. So an attempt that already failed
    reports nothing, and the rest report past the error watchers (mypy removes the
    identical repeats of one line).
    """
    if overloaded and watched_attempt_failed(checker):
        return False  # this overload item does not apply
    # (Not overloaded: the errors are the call's own, `f(wrong_type)`; the call still
    # creates the resource.)
    if key in reported or finding.once_per in reported:
        return False
    reported.add(key)
    if finding.once_per:
        reported.add(finding.once_per)
    with past_error_watchers(checker):
        if finding.message:
            checker.fail(finding.message, context, code=finding.code)
        if finding.note is not None:
            checker.note(finding.note, context, code=finding.code)
    return True
