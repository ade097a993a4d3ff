#!/usr/bin/env python3
"""Run mypy with mypy_asyncres over the sources of popular PyPI packages.

For each `name==version` in benchmarks/sweep_packages.txt (or --packages FILE) the
sweep downloads the wheel (falling back to the sdist), unpacks it under the work
folder (default /work/main/.work/sweep, git-ignored) and runs one mypy process,
from the current interpreter, over the package's source folders with the plugin
switched on from a config file written into the work folder, and PYTHONPATH set to
the checkout so that the plugin under development is the one imported.

It counts, per package, the files checked, mypy's exit code, crashes of mypy
(each "INTERNAL ERROR" with its traceback, or a Python traceback
without one, counts once), the plugin's own failures
(`[resource-internal]`) and its reports, prints a table and a final line

    sweep: N packages, X internal errors, Y plugin crashes (resource-internal), Z resource reports

and exits 1 when X or Y is not zero. The full output of each package is kept in
<work>/out/<name>.txt. `resource-internal` carries no traceback, so for a package
that has some the sweep checks it once more, on a cold cache, through a wrapper
that prints the traceback of each plugin failure: <work>/out/<name>.trace.txt.

Usage:
    nice -n 10 .venv/bin/python benchmarks/sweep.py [--only NAME ...] [--timeout S]
        [--packages FILE] [--work DIR] [--keep-cache] [--no-trace]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PACKAGES = Path(__file__).resolve().parent / "sweep_packages.txt"
DEFAULT_WORK = REPO / ".work" / "sweep"

MYPY_FLAGS = [
    "--check-untyped-defs",
    "--ignore-missing-imports",
    "--follow-imports=silent",
    "--no-error-summary",
    "--show-traceback",
]
CONFIG = "[mypy]\nplugins = mypy_asyncres\n"

# Runs mypy like `python -m mypy`, but prints the traceback of every exception that
# the plugin's guard turns into a `resource-internal` error (the guard is left in
# place, so the error is still reported as it is in the plain run).
TRACE_WRAPPER = r"""
import sys, traceback
import mypy_asyncres.guard as guard

_orig = guard.guarded

def _traced(hook, fallback, ctx, *args):
    try:
        return hook(ctx, *args)
    except Exception as exc:
        sys.stdout.flush()
        context = getattr(ctx, "reason", None) or getattr(ctx, "context", None)
        path = getattr(ctx.api, "path", None) or getattr(getattr(ctx.api, "cur_mod_node", None), "path", "?")
        sys.stderr.write(
            "=== resource-internal at %s:%s (%s) ===\n"
            % (path, getattr(context, "line", "?"), getattr(hook, "__qualname__", hook))
        )
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()

        def _again(*_a, _exc=exc):
            raise _exc

        return _orig(_again, fallback, ctx, *args)

guard.guarded = _traced  # before the modules that import it are loaded
sys.argv = ["mypy"] + sys.argv[1:]
from mypy.__main__ import console_entry
console_entry()
"""

SKIP_SDIST_DIRS = {"tests", "test", "testing", "docs", "doc", "examples", "example",
                   "benchmarks", "bench", "scripts", "tools", "build", "dist"}
RESOURCE_CODES = ("resource-not-entered", "resource-manual-close", "resource-needs-closing")
CODE_RE = re.compile(r"\[([a-z][a-z0-9-]*)\]\s*$")
BLOCKING_RE = re.compile(
    r"Duplicate module named|is not a valid Python package name|"
    r"There are no \.py\[i\] files|can't read file|No such file or directory|"
    r"Error importing plugin|Error constructing plugin"
)


@dataclass
class Result:
    name: str
    version: str
    kind: str = "-"  # wheel / sdist
    files: int = 0
    exit_code: int | None = None
    seconds: float = 0.0
    internal: int = 0  # INTERNAL ERROR lines + tracebacks
    res_internal: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    other_errors: int = 0
    status: str = "ok"
    note: str = ""

    @property
    def reports(self) -> int:
        return sum(self.counts.get(c, 0) for c in RESOURCE_CODES)


def read_packages(path: Path) -> list[tuple[str, str]]:
    out = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "==" not in line:
            raise SystemExit(f"{path}: {raw!r}: expected name==version")
        name, version = (s.strip() for s in line.split("==", 1))
        out.append((name, version))
    return out


def pip_download(spec: str, dest: Path, log: list[str]) -> tuple[Path | None, str]:
    """Download the wheel of `spec` (else its sdist) into `dest`; reuse an earlier download."""
    dest.mkdir(parents=True, exist_ok=True)
    existing = sorted(p for p in dest.iterdir() if p.suffix in (".whl", ".gz", ".zip", ".bz2"))
    if existing:
        p = existing[0]
        return p, "wheel" if p.suffix == ".whl" else "sdist"
    attempts = [("wheel", ["--only-binary=:all:"]), ("sdist", ["--no-binary=:all:"])]
    for kind, extra in attempts:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               "-q", *extra, "-d", str(dest), spec]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        log.append(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
        if proc.returncode == 0:
            files = sorted(p for p in dest.iterdir() if p.is_file())
            if files:
                return files[0], kind
    return None, "-"


def unpack(archive: Path, dest: Path) -> Path:
    """Unpack into `dest` (once) and return the folder holding the top-level packages."""
    marker = dest / ".unpacked"
    if not marker.exists():
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        if archive.suffix in (".whl", ".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(dest)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(dest, filter="data")
        marker.write_text(archive.name)
    if archive.suffix == ".whl":
        return dest
    # sdist: one top folder, maybe with src/
    tops = [p for p in dest.iterdir() if p.is_dir()]
    root = tops[0] if len(tops) == 1 else dest
    return root / "src" if (root / "src").is_dir() else root


def has_python(path: Path) -> bool:
    return any(path.rglob("*.py")) or any(path.rglob("*.pyi"))


def find_targets(root: Path, sdist: bool) -> list[str]:
    targets = []
    for p in sorted(root.iterdir()):
        if p.name.startswith(".") or p.name == "__pycache__":
            continue
        if p.is_dir():
            if p.name.endswith((".dist-info", ".data", ".egg-info")) or not p.name.isidentifier():
                continue
            if sdist and (p.name in SKIP_SDIST_DIRS or not (
                    (p / "__init__.py").exists() or (p / "__init__.pyi").exists())):
                continue
            if has_python(p):
                targets.append(p.name)
        elif p.suffix in (".py", ".pyi") and p.stem.isidentifier():
            if sdist and p.name in ("setup.py", "conftest.py", "noxfile.py", "tasks.py"):
                continue
            targets.append(p.name)
    return targets


def count_sources(root: Path, targets: list[str]) -> int:
    """The number of files mypy checks for `targets`, by mypy's own crawler."""
    cwd = os.getcwd()
    try:
        os.chdir(root)
        from mypy.find_sources import create_source_list
        from mypy.options import Options

        return len(create_source_list(targets, Options()))
    except Exception:
        n = 0
        for t in targets:
            p = root / t
            n += 1 if p.is_file() else len({q.with_suffix("") for q in p.rglob("*.py*")
                                             if q.suffix in (".py", ".pyi")})
        return n
    finally:
        os.chdir(cwd)


def crashes(lines: list[str]) -> int:
    """mypy's crashes in its output: one crash is one "INTERNAL ERROR" line with its
    traceback a few lines below; a traceback with no such line before it (mypy dying
    elsewhere) counts alone."""
    count, last_internal = 0, -100
    for i, line in enumerate(lines):
        if "INTERNAL ERROR" in line:
            count += 1
            last_internal = i
        elif line.startswith("Traceback (most recent call last)") and i - last_internal > 10:
            count += 1
    return count


def analyse(text: str, res: Result) -> None:
    lines = text.splitlines()
    res.internal += crashes(lines)
    for line in lines:
        m = CODE_RE.search(line)
        if m and ": error:" in line:
            code = m.group(1)
            if code == "resource-internal":
                res.res_internal += 1
            elif code in RESOURCE_CODES:
                res.counts[code] = res.counts.get(code, 0) + 1
            else:
                res.other_errors += 1
        elif ": error:" in line:
            res.other_errors += 1


def run_mypy(argv_head: list[str], root: Path, targets: list[str], cache: str, config: Path,
             timeout: float, out_file: Path, flags: list[str] = MYPY_FLAGS) -> tuple[int | None, str, float]:
    """One mypy process over `targets` (cwd `root`), with the plugin of this checkout;
    its output goes to `out_file` too. The exit code is None after a timeout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    env.pop("MYPYPATH", None)
    cmd = [*argv_head, "--config-file", str(config), *flags, "--cache-dir", cache, *targets]
    start = time.monotonic()
    with open(out_file, "w") as fh:
        fh.write(f"# cwd: {root}\n# PYTHONPATH={REPO}\n# $ {' '.join(cmd)}\n")
        fh.flush()
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            code = None
    elapsed = time.monotonic() - start
    text = out_file.read_text(errors="replace")
    return code, text, elapsed


def sweep_one(name: str, version: str, work: Path, config: Path, args: argparse.Namespace) -> Result:
    res = Result(name, version)
    slug = f"{name}-{version}"
    out_dir = work / "out"
    log: list[str] = []
    try:
        archive, res.kind = pip_download(f"{name}=={version}", work / "dist" / slug, log)
    except subprocess.TimeoutExpired:
        archive = None
    if archive is None:
        res.status = "download-failed"
        (out_dir / f"{name}.txt").write_text("\n".join(log))
        return res
    root = unpack(archive, work / "src" / slug)
    targets = find_targets(root, res.kind == "sdist")
    if not targets:
        res.status = "no-sources"
        return res
    res.files = count_sources(root, targets)
    code, text, res.seconds = run_mypy(
        [sys.executable, "-m", "mypy"], root, targets, str(work / "cache"), config,
        args.timeout, out_dir / f"{name}.txt")
    res.exit_code = code
    analyse(text, res)
    if code is None:
        res.status = "timeout"
    elif code not in (0, 1) or BLOCKING_RE.search(text):
        m = BLOCKING_RE.search(text)
        res.status = "blocked" if m else f"exit-{code}"
        res.note = m.group(0) if m else ""
    if res.res_internal and not args.no_trace:
        # Cold cache: a warm one would replay the errors without running the plugin.
        run_mypy([sys.executable, "-c", TRACE_WRAPPER], root, targets, os.devnull, config,
                 args.timeout, out_dir / f"{name}.trace.txt")
    return res


def print_table(results: list[Result]) -> None:
    head = ("package", "version", "kind", "files", "exit", "secs", "internal", "res-int",
            "not-ent", "man-close", "needs-cl", "other", "status")
    rows = [head]
    for r in results:
        rows.append((r.name, r.version, r.kind, str(r.files),
                     "-" if r.exit_code is None else str(r.exit_code), f"{r.seconds:.0f}",
                     str(r.internal), str(r.res_internal),
                     str(r.counts.get("resource-not-entered", 0)),
                     str(r.counts.get("resource-manual-close", 0)),
                     str(r.counts.get("resource-needs-closing", 0)),
                     str(r.other_errors), r.status + (f" ({r.note})" if r.note else "")))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for j, row in enumerate(rows):
        print("  ".join(c.ljust(w) if i in (0, 1, 2, 12) else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if j == 0:
            print("  ".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--packages", type=Path, default=DEFAULT_PACKAGES)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per package")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="sweep only these packages")
    ap.add_argument("--keep-cache", action="store_true",
                    help="keep mypy's cache from an earlier sweep (a warm cache replays "
                         "errors without running the plugin on unchanged modules)")
    ap.add_argument("--no-trace", action="store_true",
                    help="do not re-run packages with resource-internal to get tracebacks")
    args = ap.parse_args(argv)

    packages = read_packages(args.packages)
    if args.only:
        wanted = {n.lower() for n in args.only}
        packages = [p for p in packages if p[0].lower() in wanted]
    work: Path = args.work.resolve()
    (work / "out").mkdir(parents=True, exist_ok=True)
    if not args.keep_cache and (work / "cache").exists():
        shutil.rmtree(work / "cache")
    config = work / "mypy.ini"
    config.write_text(CONFIG)

    start = time.monotonic()
    results: list[Result] = []
    for i, (name, version) in enumerate(packages, 1):
        print(f"[{i}/{len(packages)}] {name}=={version} ...", end=" ", flush=True)
        try:
            r = sweep_one(name, version, work, config, args)
        except Exception as exc:  # keep going
            r = Result(name, version, status=f"sweep-error: {type(exc).__name__}: {exc}")
        results.append(r)
        print(f"{r.status}, {r.files} files, exit {r.exit_code}, {r.seconds:.0f}s, "
              f"internal {r.internal}, resource-internal {r.res_internal}, reports {r.reports}",
              flush=True)
    total = time.monotonic() - start

    print()
    print_table(results)
    x = sum(r.internal for r in results)
    y = sum(r.res_internal for r in results)
    z = sum(r.reports for r in results)
    print(f"\noutputs: {work / 'out'}; total time {total:.0f}s")
    print(f"sweep: {len(results)} packages, {x} internal errors, "
          f"{y} plugin crashes (resource-internal), {z} resource reports")
    return 1 if x or y else 0


if __name__ == "__main__":
    sys.exit(main())
