"""Names the plugin looks up or matches: fully-qualified mypy names and method names."""

from __future__ import annotations

from typing import Final

# A hidden, plugin-generated class per module that records marked module-level
# functions: a function's decorator list is empty when mypy loads it from cache.
FUNCTION_MARKS_HOLDER: Final = "__mypy_asyncres_marks__"


MUST_ENTER: Final = frozenset({"mypy_asyncres.must_enter", "mypy_asyncres.marks.must_enter"})
OWNS: Final = frozenset({"mypy_asyncres.owns", "mypy_asyncres.marks.owns"})

CONTEXTMANAGER_DECORATORS: Final = frozenset(
    {"contextlib.contextmanager", "contextlib.asynccontextmanager"}
)
# Declared return types that tell the caller "enter me".
CONTEXT_MANAGER_PROTOCOLS: Final = frozenset(
    {"contextlib.AbstractContextManager", "contextlib.AbstractAsyncContextManager"}
)

COROUTINE: Final = "typing.Coroutine"
# What a generator function declares it returns (`@contextmanager` turns it into a manager).
GENERATOR_TYPES: Final = frozenset(
    {"typing.Iterator", "typing.Generator", "typing.AsyncIterator", "typing.AsyncGenerator"}
)
AWAITABLE: Final = "typing.Awaitable"
GENERATOR: Final = "typing.Generator"

# Methods in which creating a resource is the owner's business (it releases it on exit).
ENTER_METHODS: Final = frozenset({"__enter__", "__aenter__"})
# Exit stacks: made empty, they hold nothing until something is entered into them.
EXIT_STACKS: Final = frozenset({"contextlib.ExitStack", "contextlib.AsyncExitStack"})
# `stack.enter_context(res)`: the stack owns the resource (unittest spells it in camel case).
STACK_METHODS: Final = frozenset(
    {"enter_context", "enter_async_context", "enterContext", "enterAsyncContext"}
)
# Calls that release a resource: in the `finally` of the `try` after it is bound, or on
# an attribute in its owner's release methods. (`detach()` gives up what the object holds
# without closing it: a socket its descriptor, an io wrapper its buffer.)
RELEASE_CALLS: Final = frozenset(
    {
        "close", "aclose", "__exit__", "__aexit__", "shutdown", "cleanup", "terminate", "kill", "disconnect",
        "dispose", "detach",
    }
)
# The classes of `@contextmanager` / `@asynccontextmanager` calls: their generator starts
# only when entered, so until then they hold nothing.
LAZY_CONTEXT_MANAGERS: Final = frozenset(
    {"contextlib._GeneratorContextManager", "contextlib._AsyncGeneratorContextManager"}
)
# Calls that use a resource up and release it: `proc.communicate()` (without a timeout)
# reads the pipes to their end, closes them and waits.
CONSUMING_METHODS: Final = frozenset({"communicate"})
# ... when awaited: asyncio's `await server.serve_forever()` ends only when cancelled, and
# then closes the server (a sync server's `serve_forever()` leaves its socket open).
CONSUMING_WHEN_AWAITED: Final = frozenset({"serve_forever"})
# The walker's name for such a call, awaited, on a creation: `await (await start_server(...)).serve_forever()`.
SERVED_UNTIL_CANCELLED: Final = "serve_forever (awaited)"
# An awaited `wait()` without a timeout releases a process where a `finally`, a handler or
# an owner's release method waits (asyncio's `Process` cannot be entered: `await
# proc.wait()` is its release; `Popen.wait()` leaves its pipes open, and is not awaited).
WAIT_CALLS: Final = frozenset({"wait"})
# `loop.run_until_complete(start_server(...))` gives what the coroutine gives.
RUN_TO_COMPLETION: Final = frozenset({"run_until_complete"})
# The walker's name for `Popen(cmd).wait()` without pipes: waiting releases it all.
WAITED_WITHOUT_PIPES: Final = "wait (no pipes)"
# ... or that give it back to where it came from: `await pool.release(conn)`.
RELEASE_BY_ARGUMENT_CALLS: Final = frozenset({"release"})
# The release methods of an owner class, where it releases the resources it keeps in its
# attributes (more are configured with `release_methods`).
OWNER_RELEASE_METHODS: Final = frozenset(
    {
        "close",
        "aclose",
        "__exit__",
        "__aexit__",
        "shutdown",
        "stop",
        "disconnect",
        "dispose",
        "cleanup",
        "server_close",
        "release",
        "on_stop",
        "on_shutdown",
        "on_close",
        "teardown",
        "wait_closed",
    }
)
# ... and any method named `close_<what>` / `aclose_<what>` (`close_connections`).
OWNER_RELEASE_PREFIXES: Final = ("close_", "aclose_")


def is_owner_release_method(name: str, names: frozenset[str]) -> bool:
    return name in names or name.startswith(OWNER_RELEASE_PREFIXES)

# `await asyncio.wait_for(connect(dsn), 5)` gives what the awaited argument gives.
AWAIT_PASS_THROUGH: Final = frozenset(
    {"asyncio.wait_for", "asyncio.tasks.wait_for", "asyncio.shield", "asyncio.tasks.shield"}
)
# Callees that take ownership of a resource passed to them (and release it on their exit).
OWNING_CALLEES: Final = frozenset({"contextlib.closing", "contextlib.aclosing"})
# A context manager used as `@decorator` is entered around each call of the function.
CONTEXT_DECORATORS: Final = frozenset({"contextlib.ContextDecorator", "contextlib.AsyncContextDecorator"})

# Task groups: `async with asyncio.TaskGroup() as tg:`, `anyio.create_task_group()`,
# `trio.open_nursery()` (matched by package and last name: their defining modules move).
_TASK_GROUP_PACKAGES: Final = frozenset({"asyncio", "anyio", "trio"})
_TASK_GROUP_NAMES: Final = frozenset({"TaskGroup", "create_task_group", "open_nursery"})
# What starts a task in a group, handed the arguments it runs with.
TASK_SPAWNERS: Final = frozenset({"create_task", "start_soon", "start"})


def is_task_group_factory(fullname: str) -> bool:
    return fullname.partition(".")[0] in _TASK_GROUP_PACKAGES and fullname.rpartition(".")[2] in _TASK_GROUP_NAMES
