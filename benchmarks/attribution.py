"""The plugin's share of one mypy run, timed inside the run itself.

overhead.py compares separate runs, whose times vary on a shared machine by more than
the budget. This script runs mypy once, in-process, with the plugin's entry points
wrapped in timers, and prints the time spent in them against the time of the whole
run. It counts the plugin's own work only: loading it, answering mypy's hook requests,
checking calls, reporting its configuration. mypy's default hooks, which the plugin
calls on mypy's behalf, are not counted. Not a test: a figure for the README.

    python benchmarks/attribution.py [--warm]
"""

from __future__ import annotations

import argparse
import functools
import gc
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from overhead import compile_plugin, package_dirs  # noqa: E402

spent: dict[str, float] = {}
calls: dict[str, int] = {}
depth = [0]
# Python's cyclic GC pauses that start while the plugin's code runs. mypy's own
# allocations trigger nearly all of them; one gen-2 pass over mypy's heap takes
# ~0.2 s, which lands wherever Python code happens to run. Reported apart.
gc_in_plugin = [0.0]
_gc_started = [0.0]


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if not depth[0]:
        return
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        gc_in_plugin[0] += time.perf_counter() - _gc_started[0]


def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """Time calls of function, counting only the outermost timed call (hooks nest)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if depth[0]:
            return function(*args, **kwargs)
        depth[0] += 1
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
            calls[name] = calls.get(name, 0) + 1
            depth[0] -= 1

    return wrapper


def instrument() -> tuple[float, float]:
    """Wrap the entry points. Returns how long importing the plugin class took (every run
    pays it) and the checking machinery (a run that checks anything pays it). Both are
    imported once here, for all runs."""
    started = time.perf_counter()
    import mypy_asyncres
    from mypy_asyncres import router

    plugin_class_import = time.perf_counter() - started
    started = time.perf_counter()
    from mypy_asyncres import hooks
    from mypy_asyncres.facts import owner_classes
    from mypy_asyncres.rules import checker

    engine_import = time.perf_counter() - started
    plugin_class = router.AsyncResPlugin
    for name in ("__init__", "get_class_decorator_hook_2", "get_customize_class_mro_hook", "report_config_data"):
        setattr(plugin_class, name, timed(name, getattr(plugin_class, name)))
    # mypy's requests for call hooks are answered by the hook tables' lookups, in C (not
    # timed: a plugin that does nothing pays as much); a name seen first runs Python.
    router.HookTable.__missing__ = timed("call hooks, first request per name", router.HookTable.__missing__)  # type: ignore[method-assign]
    checker.CallChecker.check = timed("check a call", checker.CallChecker.check)  # type: ignore[method-assign]
    setattr(owner_classes, "record_class", timed("class facts", getattr(owner_classes, "record_class")))
    setattr(hooks, "record_mark_dependencies", timed("daemon deps", getattr(hooks, "record_mark_dependencies")))
    mypy_asyncres.plugin = timed("plugin()", mypy_asyncres.plugin)
    return plugin_class_import, engine_import


def timer_cost() -> float:
    """What one timed call adds by itself (the wrapper, two clock reads), per call."""
    def nothing() -> None:
        pass

    wrapped = timed("calibration", nothing)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(100_000):
            wrapped()
        bare = time.perf_counter()
        for _ in range(100_000):
            nothing()
        best = min(best, ((bare - started) - (time.perf_counter() - bare)) / 100_000)
    spent.pop("calibration", None)
    calls.pop("calibration", None)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warm", action="store_true", help="time a second, fully warm run")
    args = parser.parse_args()
    compile_plugin()
    import mypy.api  # mypy itself is loaded before the plugin, as in a real run
    import mypy.build
    import mypy.main
    import mypy.plugins.default  # noqa: F401

    class_import, engine_import = instrument()
    per_call = timer_cost()
    gc.callbacks.append(_on_gc)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for d in package_dirs():
            shutil.copytree(d, work / "src" / Path(d).name, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
        config = work / "with.ini"
        config.write_text("[mypy]\nplugins = mypy_asyncres\nignore_missing_imports = True\ncheck_untyped_defs = True\n")
        command = ["--config-file", str(config), "--cache-dir", str(work / "cache"), "--no-error-summary",
                   *[str(p) for p in sorted((work / "src").iterdir())]]
        runs = 2 if args.warm else 1
        for run in range(runs):
            spent.clear()
            calls.clear()
            gc_in_plugin[0] = 0.0
            spent["import the plugin class"] = class_import
            if run == 0:  # the cold run checks, and so builds the engine
                spent["import the checking machinery"] = engine_import
            started = time.perf_counter()
            mypy.api.run(command)
            total = time.perf_counter() - started + sum(spent[k] for k in spent if k.startswith("import"))
            if run == runs - 1:
                timers = sum(calls.values()) * per_call
                plugin = sum(spent.values()) - gc_in_plugin[0] - timers
                label = "warm" if args.warm else "cold"
                print(f"{label} run: {total:.2f} s; in the plugin: {plugin:.3f} s "
                      f"({100 * plugin / total:.2f} %, overhead ratio {total / (total - plugin):.4f}); "
                      f"not counted: GC pauses that started in the plugin's code {gc_in_plugin[0]:.3f} s, "
                      f"the timers themselves {timers:.3f} s ({sum(calls.values())} calls)")
                for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
                    print(f"  {name}: {seconds:.3f} s")


if __name__ == "__main__":
    main()
