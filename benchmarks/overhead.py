"""Overhead of the plugin: mypy alone against mypy with mypy_asyncres, in one run.

Checks the installed sources of pinned, typed packages (about 170 k lines) cold (empty
cache) and warm (unchanged, full cache), as interleaved pairs, and prints the medians
and the median of the per-pair ratios. Budget: 1.03 cold, 1.02 warm.

Time is the CPU time (user + system) of the mypy process: on a shared virtual machine
wall time of the same run varies by +-8 %, CPU time by less. The plugin's bytecode is
compiled first, as a pip install does (this machine sets PYTHONDONTWRITEBYTECODE).

    python benchmarks/overhead.py [--pairs 5] [--install]

--install pip-installs the pinned packages into the running interpreter first.
Nothing here is a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGES = ["aiohttp==3.14.5", "httpx==0.28.1", "anyio==4.16.0", "trio==0.35.0", "redis==8.1.0"]
REPO = Path(__file__).resolve().parent.parent
BUDGET = {"cold": 1.03, "warm": 1.02}


def compile_plugin() -> None:
    """Write the plugin's bytecode, as pip does when it installs the wheel: without it every
    run compiles the plugin's sources (this machine sets PYTHONDONTWRITEBYTECODE), a cost
    users do not pay."""
    import compileall

    compileall.compile_dir(str(REPO / "mypy_asyncres"), quiet=1)


def package_dirs() -> list[str]:
    import importlib.util

    dirs = []
    for requirement in PACKAGES:
        name = requirement.split("==")[0]
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.submodule_search_locations, f"{name} is not installed"
        dirs.append(list(spec.submodule_search_locations)[0])
    return dirs


def count_lines(dirs: list[str]) -> int:
    return sum(
        len(path.read_bytes().splitlines()) for d in dirs for path in Path(d).rglob("*.py")
    )


def run_mypy(workdir: Path, plugin: bool, cache: Path, dirs: list[str], seed: int) -> float:
    """The CPU time of one mypy run. Both runs of a pair get the same hash seed: the order
    of mypy's sets and dicts, and with it how much work a run does, varies with the seed."""
    config = workdir / ("with.ini" if plugin else "without.ini")
    config.write_text(
        "[mypy]\n"
        + ("plugins = mypy_asyncres\n" if plugin else "")
        + "ignore_missing_imports = True\ncheck_untyped_defs = True\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONHASHSEED=str(seed))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(  # run from src/ so that the copies are found before site-packages
        [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir", str(cache),
         "--no-error-summary", *dirs],
        cwd=workdir / "src", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--warm-pairs", type=int, default=21, help="warm runs are short: more pairs")
    parser.add_argument("--install", action="store_true")
    args = parser.parse_args()
    compile_plugin()
    if args.install:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *PACKAGES], check=True)
    compileall.compile_dir(str(REPO / "mypy_asyncres"), quiet=1)
    dirs = package_dirs()
    print(f"packages: {', '.join(PACKAGES)}; {count_lines(dirs):,} lines")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # mypy checks sources, not site-packages itself: copy the packages out.
        for d in dirs:
            shutil.copytree(d, work / "src" / Path(d).name, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
        dirs = [str(work / "src" / Path(d).name) for d in dirs]
        times: dict[str, dict[bool, list[float]]] = {"cold": {False: [], True: []}, "warm": {False: [], True: []}}
        for i in range(max(args.pairs, args.warm_pairs)):
            # Alternate which side goes first, so drift on the machine falls on both.
            for plugin in ((False, True) if i % 2 == 0 else (True, False)):
                cache = work / f"cache-{plugin}"
                if i < args.pairs or not cache.exists():
                    shutil.rmtree(cache, ignore_errors=True)
                    cold = run_mypy(work, plugin, cache, dirs, seed=i)
                    if i < args.pairs:
                        times["cold"][plugin].append(cold)
                times["warm"][plugin].append(run_mypy(work, plugin, cache, dirs, seed=i))
            print(f"pair {i + 1}: " + ", ".join(
                f"{mode} {times[mode][False][-1]:.2f}s/{times[mode][True][-1]:.2f}s"
                for mode in times if len(times[mode][True]) == i + 1
            ), flush=True)
        for mode, sides in times.items():
            ratios = [w / wo for wo, w in zip(sides[False], sides[True])]
            ratio = statistics.median(ratios)
            verdict = "within" if ratio <= BUDGET[mode] else "OVER"
            print(
                f"{mode} ({len(ratios)} pairs, CPU time): mypy alone {statistics.median(sides[False]):.3f}s, "
                f"with plugin {statistics.median(sides[True]):.3f}s, median ratio {ratio:.3f} "
                f"(ratios {min(ratios):.3f} to {max(ratios):.3f}; {verdict} budget {BUDGET[mode]})"
            )


if __name__ == "__main__":
    main()
