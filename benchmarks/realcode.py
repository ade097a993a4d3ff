#!/usr/bin/env python3
"""Recall and precision of mypy_asyncres on hand-labelled real code.

The packages come in sets (SETS below): "team", the ten packages the rules were first
written against (benchmarks/realcode/packages.txt), and "new", packages labelled by
reading their code before the plugin ever ran on them (packages-new.txt, see
realcode/LABELLING.md). Figures are printed per set and for all together. For each
`name==version` of a set the script

1. downloads the wheel (`pip download --no-deps`) into <work>/wheels and unpacks it,
   without its *.dist-info, into <work>/src/<dist>/, <dist> being the first
   dash-separated part of the wheel's file name (aiohttp_retry, matrix_nio,
   python_telegram_bot, pip_tools, ...); a wheel or a folder already there is reused;
2. creates the set's venv (<work>/venv, <work>/venv-new; once) and pip-installs into it
   the set's pinned packages with their dependencies and typing packages, plus mypy at
   the version of the mypy this script runs under, so that mypy sees the types of
   aiohttp, httpx, ... (one resolve; if that fails, one package at a time, reporting
   those that fail; skipped when the venv already holds exactly this list, or with
   --skip-install);
3. runs mypy once per package, from the running interpreter, with
   `--python-executable <work>/venv/bin/python`, PYTHONPATH set to the checkout (so the
   plugin under development is the one imported), the plugin switched on from
   <work>/mypy.ini, an incremental cache in <work>/cache/<dist>, cwd <work>/src/<dist>,
   over the top-level packages and modules found there; the output goes to
   <work>/out/<dist>.txt. --cold empties the cache first; so does any change to the
   plugin's files in the checkout since the cache was written (mypy itself follows only
   mypy_asyncres/__init__.py, and would replay stale reports from a warm cache);
4. matches the reports `path:line: error: ... [code]` of the plugin against the labels
   of every benchmarks/realcode/labels-*.csv (header `package,path,line,label,callee,
   note`; label one of entered, owned, closed, leak; package is the <dist>), by
   (package, path, line).

Leak codes are resource-not-entered, resource-not-released, resource-global,
resource-needs-closing;
resource-manual-close is counted on its own (with how many fall on lines labelled
closed) and is in neither figure:

    recall    = labelled leaks with a leak-code report on their line / labelled leaks
    precision = leak-code reports on a line labelled leak / leak-code reports

Recall is also given over the leaks of kinds the catalogue listed when they were
labelled (a label whose note says "(not catalogued)" names another library's resource).

A leak-code report on a line labelled entered/owned/closed is a false positive; one on
a line with no label counts against precision too and is listed as "unlabelled" (as is
a manual-close report on an unlabelled line), so that the labels can be completed.
The script prints a table per package, totals, and a final line

    realcode: recall R% (tp/leaks), precision P% (tp/reports), N manual-close, M unlabelled, K internal errors

(M counts the unlabelled reports of every code; K the INTERNAL ERRORs and tracebacks of
mypy plus the plugin's `[resource-internal]` errors). Every report of the run, with
its label, is written to <work>/reports.txt. --list also prints each false positive,
false negative, unlabelled report and manual-close report off a "closed" line as

    package path:line label/code callee-or-message

Exit code 1 when there is an internal error or a package could not be checked
(download failed, timeout, mypy blocked or crashed), or with --target T when recall or
precision is below T %; 0 otherwise (low figures alone do not fail). A package that
could not be checked is left out of the figures.

Usage (from the checkout):
    .venv/bin/python benchmarks/realcode.py [--set team|new] [--list] [--only NAME ...] [--cold]
        [--skip-install] [--timeout S] [--target T] [--work DIR]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sweep import crashes, read_packages, run_mypy  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent / "realcode"
DEFAULT_WORK = REPO / ".work" / "realcode"


@dataclass(frozen=True)
class LabelledSet:
    """A set of packages with its pinned list, typing packages and venv (one venv per set:
    their dependencies need not resolve together)."""

    name: str
    packages: str
    typing_deps: str
    venv: str
    title: str


SETS = (
    LabelledSet("team", "packages.txt", "typing-deps.txt", "venv",
                "the ten packages the rules were first written against"),
    LabelledSet("new", "packages-new.txt", "typing-deps-new.txt", "venv-new",
                "packages labelled before the plugin ever ran on them"),
)

MYPY_FLAGS = [
    "--check-untyped-defs",
    "--follow-imports=silent",
    "--no-error-summary",
    "--show-traceback",
    "--show-error-codes",
    "--hide-error-context",
    "--no-pretty",
]
CONFIG = "[mypy]\nplugins = mypy_asyncres\n"

LEAK_CODES = ("resource-not-entered", "resource-not-released", "resource-global", "resource-needs-closing")
MANUAL_CLOSE = "resource-manual-close"
# Not a leak: a use of a resource after its block released it. Counted and listed apart
# (the labels are about creation sites; each of these is checked by reading the code).
USED_AFTER_EXIT = "resource-used-after-exit"
REPORT_CODES = (*LEAK_CODES, MANUAL_CLOSE, USED_AFTER_EXIT)
INTERNAL_CODE = "resource-internal"
LABELS = ("entered", "owned", "closed", "leak")
NOT_CATALOGUED = "(not catalogued)"
LABEL_HEADER = ["package", "path", "line", "label", "callee", "note"]

ERROR_RE = re.compile(
    r"^(?P<path>[^:\n]+?):(?P<line>\d+)(?::\d+)?: error: (?P<msg>.*?)\s+\[(?P<code>[a-z][a-z0-9-]*)\]\s*$"
)
BLOCKING_RE = re.compile(
    r"Duplicate module named|is not a valid Python package name|"
    r"There are no \.py\[i\] files|can't read file|No such file or directory|"
    r"Error importing plugin|Error constructing plugin"
)


def norm_name(name: str) -> str:
    """`python-telegram-bot`, `Python_Telegram.Bot` -> `python_telegram_bot`."""
    return re.sub(r"[-_.]+", "_", name).lower()


@dataclass
class Report:
    path: str
    line: int
    code: str
    message: str


@dataclass
class Label:
    package: str
    path: str
    line: int
    label: str
    callee: str
    note: str
    source: str  # file:row, for messages


@dataclass
class Result:
    name: str
    version: str
    dist: str = ""
    files: int = 0
    lines: int = 0
    exit_code: int | None = None
    seconds: float = 0.0
    status: str = "ok"
    note: str = ""
    internal: int = 0  # INTERNAL ERROR lines + tracebacks
    res_internal: int = 0
    other_errors: int = 0
    reports: list[Report] = field(default_factory=list)

    @property
    def checked(self) -> bool:
        return self.status == "ok"


# --------------------------------------------------------------------------- inputs


def read_typing_deps(labelled: LabelledSet) -> list[str]:
    """Extra requirements for the set's venv (stub packages, optional dependencies whose
    types the checked code imports): benchmarks/realcode/typing-deps*.txt."""
    path = HERE / labelled.typing_deps
    if not path.exists():
        return []
    return [line.split("#", 1)[0].strip() for line in path.read_text().splitlines() if line.split("#", 1)[0].strip()]


def read_labels(files: list[Path], warnings: list[str]) -> list[Label]:
    labels: list[Label] = []
    seen: dict[tuple[str, str, int], Label] = {}
    for f in files:
        with open(f, newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            if header[: len(LABEL_HEADER)] != LABEL_HEADER:
                warnings.append(f"{f.name}: header {header} is not {LABEL_HEADER}; file skipped")
                continue
            for row in reader:
                where = f"{f.name}:{reader.line_num}"
                cells = {k.strip(): v.strip() for k, v in row.items()
                         if isinstance(k, str) and isinstance(v, str)}
                if not any(cells.values()):
                    continue
                label = cells.get("label", "")
                if label not in LABELS:
                    warnings.append(f"{where}: label {label!r} is not one of {', '.join(LABELS)}")
                    continue
                try:
                    line = int(cells.get("line", ""))
                except ValueError:
                    warnings.append(f"{where}: line {cells.get('line')!r} is not a number")
                    continue
                item = Label(norm_name(cells.get("package", "")),
                             PurePosixPath(cells.get("path", "")).as_posix(), line, label,
                             cells.get("callee", ""), cells.get("note", ""), where)
                key = (item.package, item.path, item.line)
                if key in seen:
                    other = seen[key]
                    if other.label != item.label:
                        warnings.append(f"{where}: {item.path}:{line} labelled {item.label}, "
                                        f"but {other.label} in {other.source}; first kept")
                    continue
                seen[key] = item
                labels.append(item)
    return labels


# ----------------------------------------------------------------------- wheels/src


def find_wheel(wheels: Path, name: str, version: str) -> Path | None:
    if not wheels.is_dir():
        return None
    for p in sorted(wheels.glob("*.whl")):
        parts = p.name.split("-")
        if len(parts) >= 2 and norm_name(parts[0]) == norm_name(name) and parts[1] == version:
            return p
    return None


def download_wheel(name: str, version: str, wheels: Path, log: list[str]) -> Path | None:
    found = find_wheel(wheels, name, version)
    if found is not None:
        return found
    wheels.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(wheels), f"{name}=={version}"]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=600)
    log.append(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    return find_wheel(wheels, name, version)


def unpack(wheel: Path, dest: Path) -> None:
    """Unpack `wheel` without its *.dist-info into `dest`, unless `dest` holds something."""
    if dest.is_dir() and any(dest.iterdir()):
        return
    tmp = dest.with_name(f".{dest.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    with zipfile.ZipFile(wheel) as zf:
        members = []
        for m in zf.namelist():
            parts = PurePosixPath(m).parts
            if not parts or parts[0].endswith(".dist-info"):
                continue
            if m.startswith("/") or ".." in parts:
                raise RuntimeError(f"{wheel.name}: unsafe member {m!r}")
            members.append(m)
        zf.extractall(tmp, members)
    if dest.exists():
        dest.rmdir()  # empty, see above
    tmp.rename(dest)


def find_targets(root: Path) -> list[str]:
    targets: list[str] = []
    for p in sorted(root.iterdir()):
        if p.name.startswith(".") or p.name == "__pycache__":
            continue
        if p.is_dir():
            if not p.name.isidentifier():  # *.data, *.dist-info, ...
                continue
            if any(p.rglob("*.py")) or any(p.rglob("*.pyi")):
                targets.append(p.name)
        elif p.suffix == ".py" and p.stem.isidentifier():
            targets.append(p.name)  # (a stub beside it, `_black_version.pyi`, is the same module)
        elif p.suffix == ".pyi" and p.stem.isidentifier() and not p.with_suffix(".py").exists():
            targets.append(p.name)
    return targets


def count_sources(root: Path, targets: list[str]) -> tuple[int, int]:
    """(files, lines) of the Python sources under `targets`."""
    files = lines = 0
    for t in targets:
        p = root / t
        for f in [p] if p.is_file() else p.rglob("*.py"):
            files += 1
            with open(f, "rb") as fh:
                lines += sum(1 for _ in fh)
    return files, lines


# ----------------------------------------------------------------------------- venv


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def mypy_version() -> str:
    import mypy.version

    return str(mypy.version.__version__)


def pip_install(python: Path, specs: list[str]) -> tuple[bool, str]:
    cmd = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *specs]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
    return proc.returncode == 0, f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}"


def prepare_venv(work: Path, packages: list[tuple[str, str]], labelled: LabelledSet) -> list[str]:
    """Create the set's venv and install the packages into it; return the specs that failed."""
    venv = work / labelled.venv
    python = venv_python(venv)
    specs = [f"{n}=={v}" for n, v in packages] + read_typing_deps(labelled) + [f"mypy=={mypy_version()}"]
    stamp = venv / ".realcode-installed"
    digest = hashlib.sha256("\n".join(specs).encode()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        print(f"venv: {venv} already holds these {len(specs)} requirements", flush=True)
        return []
    if not python.exists():
        print(f"venv: creating {venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    start = time.monotonic()
    print(f"venv: pip install {' '.join(specs)}", flush=True)
    log_file = work / "out" / f"{labelled.venv}-install.txt"
    ok, log = pip_install(python, specs)
    logs = [log]
    failed: list[str] = []
    if not ok:
        print("venv: one resolve failed, installing one by one", flush=True)
        for spec in specs:
            ok1, log1 = pip_install(python, [spec])
            logs.append(log1)
            if not ok1:
                failed.append(spec)
                print(f"venv: FAILED {spec}", flush=True)
    log_file.write_text("\n".join(logs))
    print(f"venv: done in {time.monotonic() - start:.0f}s (pip log: {log_file})", flush=True)
    if not failed:
        stamp.write_text(digest + "\n")
    return failed


# ----------------------------------------------------------------------------- mypy


def analyse(text: str, res: Result, root: Path) -> None:
    lines = text.splitlines()
    res.internal += crashes(lines)
    for line in lines:
        m = ERROR_RE.match(line)
        if m is None:
            if ": error:" in line:
                res.other_errors += 1
            continue
        code = m.group("code")
        if code == INTERNAL_CODE:
            res.res_internal += 1
        elif code in REPORT_CODES:
            res.reports.append(Report(rel_path(m.group("path"), root), int(m.group("line")),
                                      code, m.group("msg")))
        else:
            res.other_errors += 1


def rel_path(path: str, root: Path) -> str:
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(root.resolve())
        except ValueError:
            pass
    return PurePosixPath(os.path.normpath(p)).as_posix()


def plugin_digest() -> str:
    """A hash of the plugin's source and data files in the checkout, and of mypy's version.

    mypy's cache follows only the plugin's entry module (mypy_asyncres/__init__.py, with
    `__version__`) and what `report_config_data` returns: an edit to any other module of
    the plugin leaves a warm cache valid, and mypy would replay the old reports."""
    h = hashlib.sha256(mypy_version().encode())
    pkg = REPO / "mypy_asyncres"
    for f in sorted(pkg.rglob("*")):
        if f.is_file() and f.suffix in (".py", ".pyi", ".json", ".typed"):
            h.update(f.relative_to(pkg).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def check_package(name: str, version: str, work: Path, timeout: float, cold: bool,
                  digest: str, venv: str) -> Result:
    res = Result(name, version)
    log: list[str] = []
    try:
        wheel = download_wheel(name, version, work / "wheels", log)
    except subprocess.TimeoutExpired:
        wheel = None
    if wheel is None:
        res.status = "download-failed"
        res.dist = norm_name(name)
        (work / "out" / f"{res.dist}.txt").write_text("\n".join(log))
        return res
    res.dist = wheel.name.split("-")[0]
    root = work / "src" / res.dist
    unpack(wheel, root)
    targets = find_targets(root)
    if not targets:
        res.status = "no-sources"
        return res
    res.files, res.lines = count_sources(root, targets)
    cache = work / "cache" / res.dist
    stamp = work / "cache" / f"{res.dist}.plugin-digest"
    if cache.exists() and (cold or not stamp.exists() or stamp.read_text().strip() != digest):
        shutil.rmtree(cache)  # asked for, or the plugin changed since the cache was written
    code, text, res.seconds = run_mypy(
        [sys.executable, "-m", "mypy", "--python-executable", str(venv_python(work / venv))],
        root, targets, str(work / "cache" / res.dist), work / "mypy.ini", timeout,
        work / "out" / f"{res.dist}.txt", MYPY_FLAGS,
    )
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest + "\n")
    res.exit_code = code
    analyse(text, res, root)
    blocking = BLOCKING_RE.search(text)
    if code is None:
        res.status = "timeout"
    elif blocking:
        res.status, res.note = "blocked", blocking.group(0)
    elif code not in (0, 1):
        res.status = f"exit-{code}"
    return res


# -------------------------------------------------------------------------- scoring


@dataclass
class Score:
    labels: dict[str, int] = field(default_factory=lambda: {k: 0 for k in LABELS})
    codes: dict[str, int] = field(default_factory=lambda: {k: 0 for k in REPORT_CODES})
    leaks: int = 0
    leaks_found: int = 0  # recall numerator
    # Leaks of kinds the catalogue listed when they were labelled (a label whose note
    # says "(not catalogued)" is a resource of another library, outside the rule then).
    listed_leaks: int = 0
    listed_found: int = 0
    leak_reports: int = 0
    tp: int = 0  # precision numerator
    fp: int = 0  # leak-code report on a line labelled entered/owned/closed
    fn: int = 0
    unlabelled: int = 0  # reports of any code on unlabelled lines
    manual: int = 0
    manual_closed: int = 0
    after_exit: int = 0
    internal: int = 0

    def add(self, other: Score) -> None:
        for k in LABELS:
            self.labels[k] += other.labels[k]
        for k in REPORT_CODES:
            self.codes[k] += other.codes[k]
        for attr in ("leaks", "leaks_found", "listed_leaks", "listed_found", "leak_reports", "tp",
                     "fp", "fn", "unlabelled", "manual", "manual_closed", "after_exit", "internal"):
            setattr(self, attr, getattr(self, attr) + getattr(other, attr))


def score(res: Result, labels: list[Label], listing: list[str], all_reports: list[str]) -> Score:
    s = Score(internal=res.internal + res.res_internal)
    pkg = norm_name(res.dist)
    by_line = {(lb.path, lb.line): lb for lb in labels if lb.package == pkg}
    for lb in by_line.values():
        s.labels[lb.label] += 1
    leak_lines: set[tuple[str, int]] = set()
    for r in sorted(res.reports, key=lambda r: (r.path, r.line, r.code)):
        s.codes[r.code] += 1
        hit = by_line.get((r.path, r.line))
        label = hit.label if hit else "-"
        all_reports.append(f"{res.dist} {r.path}:{r.line} {r.code} {label} {r.message}")
        if r.code == USED_AFTER_EXIT:
            s.after_exit += 1
            listing.append(f"after-exit  {res.dist} {r.path}:{r.line} {r.message}")
            continue
        if hit is None:
            s.unlabelled += 1
            listing.append(f"unlabelled  {res.dist} {r.path}:{r.line} -/{r.code} {r.message}")
        if r.code == MANUAL_CLOSE:
            s.manual += 1
            if hit is not None and hit.label == "closed":
                s.manual_closed += 1
            elif hit is not None:
                listing.append(f"manual-close {res.dist} {r.path}:{r.line} "
                               f"{hit.label}/{r.code} {hit.callee}")
            continue
        s.leak_reports += 1
        if hit is None:
            continue
        if hit.label == "leak":
            s.tp += 1
            leak_lines.add((r.path, r.line))
        else:
            s.fp += 1
            listing.append(f"false-pos   {res.dist} {r.path}:{r.line} {hit.label}/{r.code} "
                           f"{hit.callee}")
    for (path, line), lb in sorted(by_line.items()):
        if lb.label != "leak":
            continue
        s.leaks += 1
        listed = NOT_CATALOGUED not in lb.note
        s.listed_leaks += listed
        if (path, line) in leak_lines:
            s.leaks_found += 1
            s.listed_found += listed
        else:
            s.fn += 1
            manual = any(r.path == path and r.line == line for r in res.reports)
            listing.append(f"false-neg   {res.dist} {path}:{line} leak/"
                           f"{MANUAL_CLOSE if manual else '-'} {lb.callee}")
    return s


def pct(num: int, den: int) -> str:
    return "n/a" if den == 0 else f"{100.0 * num / den:.1f}%"


def print_table(results: list[Result], scores: list[Score], total: Score) -> None:
    head = ("package", "files", "klines", "secs", "exit", "ent", "own", "clo", "leak",
            "not-ent", "not-rel", "global", "needs-cl", "man-cl", "aft-ex", "tp", "fp", "fn", "unlab", "int",
            "status")
    rows: list[tuple[str, ...]] = [head]

    def row(name: str, files: str, klines: str, secs: str, code: str, s: Score,
            status: str) -> tuple[str, ...]:
        return (name, files, klines, secs, code,
                *(str(s.labels[k]) for k in LABELS),
                *(str(s.codes[k]) for k in REPORT_CODES),
                str(s.tp), str(s.fp), str(s.fn), str(s.unlabelled), str(s.internal), status)

    for r, s in zip(results, scores):
        rows.append(row(r.dist or r.name, str(r.files), f"{r.lines / 1000:.0f}",
                        f"{r.seconds:.0f}", "-" if r.exit_code is None else str(r.exit_code),
                        s, r.status + (f" ({r.note})" if r.note else "")))
    rows.append(row("total", str(sum(r.files for r in results)),
                    f"{sum(r.lines for r in results) / 1000:.0f}",
                    f"{sum(r.seconds for r in results):.0f}", "", total, ""))
    widths = [max(len(rw[i]) for rw in rows) for i in range(len(head))]
    last = len(head) - 1
    for j, rw in enumerate(rows):
        if j == len(rows) - 1:
            print("  ".join("-" * w for w in widths))
        print("  ".join(c.ljust(w) if i in (0, last) else c.rjust(w)
                        for i, (c, w) in enumerate(zip(rw, widths))).rstrip())
        if j == 0:
            print("  ".join("-" * w for w in widths))


# ----------------------------------------------------------------------------- main


def summary(prefix: str, total: Score) -> str:
    return (f"{prefix}: recall {pct(total.leaks_found, total.leaks)} "
            f"({total.leaks_found}/{total.leaks}; of the kinds catalogued when labelled "
            f"{pct(total.listed_found, total.listed_leaks)}, {total.listed_found}/{total.listed_leaks}), "
            f"precision {pct(total.tp, total.leak_reports)} "
            f"({total.tp}/{total.leak_reports}), {total.manual} manual-close, "
            f"{total.after_exit} used-after-exit, "
            f"{total.unlabelled} unlabelled, {total.internal} internal errors")


def run_set(labelled: LabelledSet, args: argparse.Namespace, work: Path, labels: list[Label],
            warnings: list[str], digest: str) -> tuple[Score, list[Result], list[str]] | None:
    """Check the set's packages; its total, its results and the listing lines."""
    only: set[str] = {norm_name(n) for n in args.only}
    packages = read_packages(HERE / labelled.packages)
    selected: list[tuple[str, str]] = []
    for name, version in packages:
        wheel = find_wheel(work / "wheels", name, version)
        dist = norm_name(wheel.name.split("-")[0]) if wheel else norm_name(name)
        if not only or norm_name(name) in only or dist in only:
            selected.append((name, version))
    if not selected:
        return None
    print(f"\n== set {labelled.name}: {labelled.title} ({len(selected)} packages)")
    install_failed: list[str] = []
    if not args.skip_install:
        install_failed = prepare_venv(work, packages, labelled)
    elif not venv_python(work / labelled.venv).exists():
        print(f"warning: --skip-install, but there is no {work / labelled.venv}", file=sys.stderr)

    results: list[Result] = []
    start = time.monotonic()
    for i, (name, version) in enumerate(selected, 1):
        print(f"[{i}/{len(selected)}] {name}=={version} ...", end=" ", flush=True)
        try:
            r = check_package(name, version, work, args.timeout, args.cold, digest, labelled.venv)
        except Exception as exc:  # keep going
            r = Result(name, version, dist=norm_name(name),
                       status=f"error: {type(exc).__name__}: {exc}")
        results.append(r)
        print(f"{r.status}, {r.files} files, {r.lines / 1000:.0f}k lines, exit {r.exit_code}, "
              f"{r.seconds:.0f}s, internal {r.internal}, resource-internal {r.res_internal}, "
              f"reports {len(r.reports)}", flush=True)
    elapsed = time.monotonic() - start

    listing: list[str] = []
    all_reports: list[str] = []
    scores: list[Score] = []
    total = Score()
    for r in results:
        s = score(r, labels, listing, all_reports)
        scores.append(s)
        if r.checked:
            total.add(s)
        else:
            total.internal += s.internal
    print()
    print_table(results, scores, total)
    reports_file = work / f"reports-{labelled.name}.txt"
    reports_file.write_text(
        "# package path:line code label message  (label '-' = no label)\n"
        + "".join(line + "\n" for line in all_reports))
    print(f"\noutputs: {work / 'out'}; all reports: {reports_file}; total time {elapsed:.0f}s")
    if install_failed:
        print(f"venv: could not install {', '.join(install_failed)}")
    failed = [f"{r.dist or r.name} ({r.status})" for r in results if not r.checked]
    if failed:
        print("not checked (left out of the figures): " + ", ".join(failed))
    if args.list and listing:
        print()
        print("\n".join(listing))
    print(summary(f"realcode {labelled.name}", total))
    return total, results, failed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK, help="work folder")
    ap.add_argument("--set", action="append", dest="sets", metavar="NAME", default=[],
                    choices=[s.name for s in SETS], help="check only this set (repeatable)")
    ap.add_argument("--only", action="append", metavar="NAME", default=[],
                    help="check only this package (name or dist; repeatable)")
    ap.add_argument("--skip-install", action="store_true", help="do not touch the venvs")
    ap.add_argument("--cold", action="store_true", help="empty mypy's cache first")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per package")
    ap.add_argument("--list", action="store_true",
                    help="print false positives, false negatives and unlabelled reports")
    ap.add_argument("--target", type=float, default=None, metavar="PCT",
                    help="fail when recall or precision (of all sets together) is below PCT")
    args = ap.parse_args(argv)
    work: Path = Path(args.work).resolve()
    (work / "out").mkdir(parents=True, exist_ok=True)
    (work / "mypy.ini").write_text(CONFIG)

    warnings: list[str] = []
    label_files = sorted(HERE.glob("labels-*.csv"))
    labels = read_labels(label_files, warnings)
    print(f"labels: {len(labels)} sites from {len(label_files)} files")

    # Labels that name no pinned package, or a file that is not there.
    dists: dict[str, str] = {}
    for labelled in SETS:
        for name, version in read_packages(HERE / labelled.packages):
            wheel = find_wheel(work / "wheels", name, version)
            dist = wheel.name.split("-")[0] if wheel else norm_name(name)
            dists[norm_name(dist)] = dist
    for lb in labels:
        if lb.package not in dists:
            warnings.append(f"{lb.source}: package {lb.package!r} is not the <dist> of a "
                            f"pinned package ({', '.join(sorted(dists.values()))})")
        elif (work / "src" / dists[lb.package]).is_dir() and not (
                work / "src" / dists[lb.package] / lb.path).is_file():
            warnings.append(f"{lb.source}: no file {dists[lb.package]}/{lb.path}")

    digest = plugin_digest()
    grand = Score()
    failed: list[str] = []
    ran = 0
    for labelled in SETS:
        if args.sets and labelled.name not in args.sets:
            continue
        done = run_set(labelled, args, work, labels, warnings, digest)
        if done is None:
            continue
        total, _, set_failed = done
        grand.add(total)
        failed += set_failed
        ran += 1
    if ran == 0:
        print(f"no package matches --only {' '.join(args.only)}", file=sys.stderr)
        return 2
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    print()
    print(summary("realcode", grand))

    code = 1 if grand.internal or failed else 0
    if args.target is not None:
        for what, num, den in (("recall", grand.leaks_found, grand.leaks),
                               ("precision", grand.tp, grand.leak_reports)):
            if den == 0 or 100.0 * num / den < args.target:
                print(f"below target: {what} {pct(num, den)} < {args.target:g}%")
                code = 1
    return code


if __name__ == "__main__":
    sys.exit(main())
