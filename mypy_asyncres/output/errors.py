"""Every error code of the plugin and the text of every message it prints."""

from __future__ import annotations

from typing import Final

from mypy.errorcodes import ErrorCode

RESOURCE_NOT_ENTERED: Final = ErrorCode(
    "resource-not-entered",
    "A resource is created but not entered with 'with' / 'async with'",
    "General",
)
RESOURCE_MANUAL_CLOSE: Final = ErrorCode(
    "resource-manual-close",
    "A resource is bound, then released in the 'finally' of the next 'try'",
    "General",
    sub_code_of=RESOURCE_NOT_ENTERED,
)
RESOURCE_NOT_RELEASED: Final = ErrorCode(
    "resource-not-released",
    "A resource is kept in an attribute that its class does not release",
    "General",
    sub_code_of=RESOURCE_NOT_ENTERED,
)
RESOURCE_OWNER_HINT: Final = ErrorCode(
    "resource-owner-hint",
    "A note suggesting @must_enter for a class that releases what it holds on exit",
    "General",
)
RESOURCE_GLOBAL: Final = ErrorCode(
    "resource-global",
    "A resource is kept in a module global or a class attribute for the life of the process",
    "General",
    sub_code_of=RESOURCE_NOT_ENTERED,
)
RESOURCE_USED_AFTER_EXIT: Final = ErrorCode(
    "resource-used-after-exit",
    "A resource is used after the 'with' block that released it, or carried out of it",
    "General",
)
RESOURCE_NEEDS_CLOSING: Final = ErrorCode(
    "resource-needs-closing",
    "A context manager whose exit does not release the resource is entered directly",
    "General",
)
RESOURCE_INVALID_MARK: Final = ErrorCode(
    "resource-invalid-mark",
    "@must_enter is applied to something that cannot be entered",
    "General",
)
RESOURCE_INTERNAL: Final = ErrorCode(
    "resource-internal",
    "mypy_asyncres failed on this line (a bug in the plugin)",
    "General",
)


def not_entered(resource: str, statement: str, how: str) -> str:
    return f'{resource} must be entered with "{statement}", but it is {how}'


def manual_close(resource: str, statement: str, name: str) -> str:
    return (
        f'{resource} bound to "{name}" is released in "finally" '
        f'instead of being entered with "{statement}"'
    )


def released_by_callback(resource: str, statement: str, name: str) -> str:
    return (
        f'{resource} bound to "{name}" is released by an exit-stack callback '
        f'instead of being entered with "{statement}"'
    )


def entered_by_hand(resource: str, statement: str, method: str) -> str:
    return f'{resource} is entered by calling "{method}" instead of with "{statement}"'


def closing_wrapper(statement: str) -> str:
    """What releases a resource whose own exit does not: `closing`, or `aclosing`."""
    return "contextlib.aclosing" if statement == "async with" else "contextlib.closing"


def needs_closing(resource: str, statement: str) -> str:
    wrapper = closing_wrapper(statement)
    return (
        f'{resource} does not release itself on exit; enter it through "{wrapper}": '
        f'"{statement} {wrapper}(...) as ..."'
    )


def not_released(resource: str, target: str, methods: list[str]) -> str:
    where = " or ".join(f'"{m}"' for m in methods)
    return f'{resource} is stored in "{target}", but {where} does not release it'


def replaces_unreleased(resource: str, target: str) -> str:
    return f'{resource} replaces what "{target}" holds without releasing it'


def release_old_value_note(release: str) -> str:
    target = release.removeprefix("await ").rpartition(".")[0]
    return f'Release the old value first ("{release}"), or create it only when "{target} is None"'


def no_release_method(resource: str, target: str, owner: str) -> str:
    return f'{resource} is stored in "{target}", but "{owner}" has no method that releases it'


def release_in_note(owner: str, target: str, statement: str) -> str:
    close, exit_ = ("aclose", "__aexit__") if statement == "async with" else ("close", "__exit__")
    return f'Release "{target}" in "{owner}.{close}" or "{owner}.{exit_}"'


def mark_owner_note(owner: str, statement: str) -> str:
    return (
        f'"{owner}" releases what it holds on exit: mark it @must_enter so that every '
        f'"{owner}(...)" must be entered with "{statement}"'
    )


def kept_for_the_process(resource: str, name: str) -> str:
    return f'{resource} is kept in "{name}" for the life of the process and never released'


GLOBAL_CLOSE_NOTE: Final = (
    'Create it where it is used and close it in a "finally", or keep it in an object that '
    "releases it on shutdown"
)


def global_note(statement: str) -> str:
    return (
        f'Create it where it is used ("{statement} ... as ..."), or keep it in an object '
        "that releases it on shutdown"
    )


def used_before_handoff(resource: str, name: str, stored: bool) -> str:
    how = "stored" if stored else "returned"
    return f'{resource} bound to "{name}" is used before it is {how}: if that raises, it is never released'


def guard_uses_note(name: str) -> str:
    return f'Release "{name}" in "except BaseException:" around those uses (then re-raise), or hand it on first'


def narrow_guard(resource: str, name: str, caught: str, cancellable: bool) -> str:
    if caught.rpartition(".")[2] == "Exception":
        skipped = "cancellation (asyncio.CancelledError) skips" if cancellable else "KeyboardInterrupt skips"
    else:
        skipped = "other exceptions and cancellation skip" if cancellable else "other exceptions skip"
    return f'{resource} bound to "{name}" is released by "except {caught}:", which {skipped}'


def catch_base_exception_note(cancellable: bool) -> str:
    when = "the task is cancelled" if cancellable else "the program is interrupted"
    return f'Release it in "except BaseException:" (then re-raise), so that it is released when {when} too'


def used_after_exit(name: str, end_line: int, what: str) -> str:
    return f'"{name}" is used after the block that released it (ended on line {end_line}): {what}'


def escapes_block(name: str, what: str) -> str:
    return f'"{name}" is {what}: the caller receives it already released'


def outlives_block(name: str, group: str, end_line: int) -> str:
    return (
        f'"{name}" is handed to a task of "{group}", which outlives the block that releases '
        f'"{name}" (it ends on line {end_line})'
    )


def move_use_note(statement: str) -> str:
    return f'Move the use into the "{statement}" block, or keep the resource open where it is used'


ESCAPE_NOTE: Final = (
    'Return what you read from it inside the block, or make the function a generator '
    '("yield" inside the block keeps it open)'
)


def enter_group_inside_note(statement: str, name: str) -> str:
    return (
        f'Enter the task group inside the "{statement} ... as {name}:" block, or wait for '
        "the task before the block ends"
    )


def not_closed(resource: str, how: str) -> str:
    return f'{resource} cannot be entered and must be closed in a "finally", but it is {how}'


def drop_await_note(call: str, name: str) -> str:
    return f'Drop the "await" and enter it: "async with {call} as {name}:"'


def enter_discarded_note(statement: str, call: str) -> str:
    return f'Enter it: "{statement} {call}:"'


def enter_chained_note(statement: str, call: str, attribute: str) -> str:
    return f'Enter it and use it inside the block: "{statement} {call} as x:", then "x.{attribute}"'


def use_statement_note(statement: str, name: str) -> str:
    # `with ...` or, for a wrapped resource, `with contextlib.closing(...)`.
    opener = statement if statement.endswith("(...)") else f"{statement} ..."
    return f'Use "{opener} as {name}:" so that it is released on every path'


def release_in_finally_note(release: str) -> str:
    return f'Call "{release}" in the "finally" of a "try" that follows right after'


def bind_and_release_note(binding: str, release: str) -> str:
    # Both spelled on the name `x`: `x = await asyncpg.connect(...)`, `await x.close()`.
    return f'Bind it ("{binding}") and call "{release}" in the "finally" of a "try" that follows right after'


# How a resource escapes, completing "..., but it is <how>".
def bound_to(name: str) -> str:
    return f'bound to "{name}"'


def stored_in(target: str) -> str:
    return f'stored in "{target}"'


def passed_to(callee: str) -> str:
    return f'passed to "{callee}"' if callee else "passed as an argument"


def used_directly(attribute: str) -> str:
    return f'used directly (".{attribute}")' if attribute else "called directly"


def returned_from(function: str) -> str:
    return f'returned from "{function}", whose declared return type is not a resource'


DISCARDED: Final = "discarded"
AS_DECORATOR: Final = "used as a decorator, which it does not support"
IN_CONTAINER: Final = "put in a container"
YIELDED: Final = "yielded"
IN_EXPRESSION: Final = "used in an expression"

INVALID_CLASS_MARK: Final = (
    '@must_enter class "{name}" is not a context manager: it needs "__enter__"/"__exit__" '
    'or "__aenter__"/"__aexit__"'
)
INVALID_FUNCTION_MARK: Final = (
    '@must_enter function "{name}" returns {type}, which is not a context manager'
)
MARK_ABOVE_CONTEXTMANAGER: Final = (
    'Put @must_enter above @contextmanager / @asynccontextmanager, so that it marks the context manager'
)
OWNS_NOT_A_DECORATOR: Final = "@owns(...) must decorate a function or method definition"
OWNS_NEEDS_NAMES: Final = '@owns(...) takes the names of parameters as string literals: @owns("session")'


def owns_unknown_parameter(name: str, function: str) -> str:
    return f'@owns names "{name}", which is not a parameter of "{function}"'


NOT_A_DECORATOR: Final = "@must_enter must decorate a class or a function definition"


def internal_error(exc: BaseException, mypy_version: str) -> str:
    return (
        f"mypy_asyncres failed here ({type(exc).__name__}: {exc}); this is a bug in "
        f"mypy_asyncres, please report it with mypy {mypy_version}"
    )
