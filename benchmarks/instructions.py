"""The plugin's overhead as counted instructions: mypy alone against mypy with the plugin.

Wall and CPU time of the same mypy run vary by up to 30 % on a shared virtual machine,
ten times the budget. Instructions executed, counted by valgrind (cachegrind without its
cache simulation), do not depend on what else the machine is doing: one run per side
gives the ratio. It counts work, not stalls; it is the figure to compare across changes.
A third side, a plugin that does nothing, measures what any plugin costs (mypy asking an
interpreted plugin for each of its hooks).

    python benchmarks/instructions.py [--warm] [--packages aiohttp httpx ...]

About 50 times slower than a plain run (the five packages cold: ~15 min per side, the
sides run two at a time). Needs valgrind. Not a test.

The copies are checked in one fixed folder (--work): the hash seed is fixed, but the
paths are strings hashed into mypy's sets, so a folder of another name changes the order
of mypy's work and with it the counts (by more than the budget's margin): compare counts
taken in the same folder.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from overhead import PACKAGES, REPO, compile_plugin, package_dirs  # noqa: E402

# An interpreted subclass, as every real plugin is: mypy's calls into it are the cost.
NOOP_PLUGIN = (
    "from mypy.plugin import Plugin\n\nclass Noop(Plugin):\n    pass\n\n"
    "def plugin(version):\n    return Noop\n"
)
SIDES = {"alone": "", "any plugin": "plugins = noop_plugin\n", "mypy_asyncres": "plugins = mypy_asyncres\n"}


def mypy_command(work: Path, side: str, dirs: list[str]) -> list[str]:
    config = work / f"{side.replace(' ', '_')}.ini"
    config.write_text("[mypy]\n" + SIDES[side] + "ignore_missing_imports = True\ncheck_untyped_defs = True\n")
    cache = work / f"cache-{side.replace(' ', '_')}"
    return [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir", str(cache),
            "--no-error-summary", *dirs]


def count(work: Path, side: str, dirs: list[str], warm: bool) -> int:
    env = dict(os.environ, PYTHONPATH=f"{REPO}{os.pathsep}{work}", PYTHONHASHSEED="0")
    command = mypy_command(work, side, dirs)
    run = dict(cwd=work / "src", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    if warm:
        subprocess.run(command, **run)  # type: ignore[call-overload]  # fill the cache first
    out = work / f"cg-{side.replace(' ', '_')}.out"
    subprocess.run(  # type: ignore[call-overload]
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}", *command], **run
    )
    found = re.search(r"^summary: (\d+)", out.read_text(), re.MULTILINE)
    assert found, f"no summary in {out}"
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warm", action="store_true", help="count a fully warm run (cache filled first)")
    parser.add_argument("--packages", nargs="*", help="a subset of the benchmark's packages")
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "mypy_asyncres-instructions",
        help="the folder the copies are checked in (emptied first, removed after)",
    )
    args = parser.parse_args()
    compile_plugin()
    dirs = package_dirs()
    if args.packages:
        dirs = [d for d in dirs if Path(d).name in args.packages]
    print(f"packages: {', '.join(Path(d).name for d in dirs)} (of {', '.join(PACKAGES)}); "
          f"{'warm' if args.warm else 'cold'}")
    work: Path = args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        (work / "noop_plugin.py").write_text(NOOP_PLUGIN)
        for d in dirs:
            shutil.copytree(d, work / "src" / Path(d).name, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
        copies = [str(work / "src" / Path(d).name) for d in dirs]
        with ThreadPoolExecutor(max_workers=2) as pool:
            counted = dict(zip(SIDES, pool.map(lambda side: count(work, side, copies, args.warm), SIDES)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    alone = counted["alone"]
    for side, instructions in counted.items():
        print(f"{side}: {instructions:,} instructions, ratio {instructions / alone:.4f}")


if __name__ == "__main__":
    main()
