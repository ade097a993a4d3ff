"""A small runner for mypy-style data-driven cases (`test-data/*.test`).

Format (a subset of mypy's own):

    [case name]
    # flags: --some-mypy-flag          (optional, first line of main)
    <source of main.py>                 # E: message  [code]  # N: note
    [file lib.py]
    <source of lib.py>                  # E: ...
    [out]                               (optional: expected lines, instead of or
    main.py:3: error: ...                besides inline comments)

Every case runs mypy in-process with the plugin, against the installed
libraries, first cold (for its own modules) and then warm: its own modules come
from mypy's cache while main.py, touched, is checked again. Both runs must print
exactly the expected lines. The standard library and third-party packages are
cached once per flag set and shared by all cases.

Cases that are a lone main.py run batched, per `.test` file and flags: each
case's main.py becomes its own module (`case_007.py`) of one mypy run, and each
case asserts its own lines of that run, mapped back to main.py. A mypy run costs
~0.3 s whatever it checks, a case ~0.05 s. A batch that does not run cleanly is
run again case by case, so that a failure names its case.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import mypy.api
from mypy.main import process_options

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "test-data"

_SECTION = re.compile(r"^\[(case|file|out)(?:\s+([^\]]+))?\]\s*$")
_COMMENT = re.compile(r"\s*#\s*([ENW]):\s*")
_SEVERITY = {"E": "error", "N": "note", "W": "warning"}


@dataclass
class Case:
    name: str
    source_file: str
    line: int
    files: dict[str, str] = field(default_factory=dict)
    out: list[str] = field(default_factory=list)
    has_out_section: bool = False

    @property
    def batchable(self) -> bool:
        """A lone main.py whose messages do not name its module (cases with the same
        flags share a batch)."""
        return set(self.files) == {"main.py"} and not any(
            re.search(r"\bmain\.", line.partition(": ")[2]) for line in self.expected()
        )

    @property
    def flags(self) -> list[str]:
        first = self.files["main.py"].split("\n", 1)[0]
        return first[len("# flags:") :].split() if first.startswith("# flags:") else []

    def expected(self) -> list[str]:
        lines: list[str] = []
        for path, text in self.files.items():
            for number, line in enumerate(text.split("\n"), start=1):
                lines.extend(_inline_expectations(path, number, line))
        return sorted(lines + self.out, key=_sort_key)


def _inline_expectations(path: str, number: int, line: str) -> list[str]:
    # `# E:` may follow code or start a comment; split at each marker.
    parts = _COMMENT.split(line)
    found = []
    for i in range(1, len(parts) - 1, 2):
        found.append(f"{path}:{number}: {_SEVERITY[parts[i]]}: {parts[i + 1].rstrip()}")
    return found


def _sort_key(line: str) -> tuple[str, int, str]:
    # mypy's order of messages on one line is not part of what a case asserts.
    path, _, rest = line.partition(":")
    number = rest.partition(":")[0]
    return (path, int(number) if number.isdigit() else 0, line)


def parse(path: Path) -> list[Case]:
    cases: list[Case] = []
    current: Case | None = None
    target: str | None = None
    for number, line in enumerate(path.read_text().split("\n"), start=1):
        m = _SECTION.match(line)
        if m:
            kind, arg = m.group(1), m.group(2)
            if kind == "case":
                current = Case(arg or f"line{number}", path.name, number)
                current.files["main.py"] = ""
                cases.append(current)
                target = "main.py"
            elif current is None:
                raise ValueError(f"{path}:{number}: section before the first [case]")
            elif kind == "file":
                target = (arg or "").strip()
                current.files[target] = ""
            else:
                current.has_out_section = True
                target = None
            continue
        if current is None:
            continue
        if target is None:
            if line.strip():
                current.out.append(line.rstrip())
        else:
            current.files[target] += line + "\n"
    for case in cases:
        case.files = {k: v.rstrip("\n") + "\n" for k, v in case.files.items()}
    return cases


def all_cases() -> list[Case]:
    cases = [case for path in sorted(DATA.glob("*.test")) for case in parse(path)]
    seen: set[tuple[str, str]] = set()
    for case in cases:
        key = (case.source_file, case.name)
        if key in seen:
            raise ValueError(f"{case.source_file}:{case.line}: a second case named {case.name}")
        seen.add(key)
    return cases


def _config(cache_dir: Path, plugin: bool = True) -> str:
    return (
        "[mypy]\n"
        + ("plugins = mypy_asyncres\n" if plugin else "")
        + f"mypy_path = {REPO}, stubs\n"
        f"cache_dir = {cache_dir}\n"
        "strict = True\n"
        "show_error_codes = True\n"
        "warn_unused_ignores = False\n"
    )


def run_mypy(
    workdir: Path,
    cache_root: Path,
    flags: list[str],
    extra_config: str = "",
    plugin: bool = True,
    files: list[str] | None = None,
    batch: bool = False,
) -> list[str]:
    """Run mypy on `files` (main.py) in workdir; a case's own `[file mypy.ini]` adds
    sections to the config. A batch fails on a blocking error (a syntax error in one
    case stops mypy before it checks the others)."""
    # Options that mypy's cache follows change every module's cache entry: one cache each
    # (`--hide-error-codes` shares the default's). The plugin's own section does not: its
    # configuration leaves the standard library's entries valid, and the rest follow it
    # through report_config_data, which the shared cache exercises.
    key = _cache_key(tuple(flags)) + ("" if plugin else " (no plugin)") + _without_plugin_section(extra_config)
    cache_dir = cache_root / hashlib.sha1(key.encode()).hexdigest()[:10]
    (workdir / "mypy.ini").write_text(_config(cache_dir, plugin) + extra_config)
    old = os.getcwd()
    os.chdir(workdir)
    try:
        out, err, status = mypy.api.run(
            ["--config-file", "mypy.ini", "--no-error-summary", "--show-traceback",
             "--no-pretty", "--no-color-output", *flags, *(files or ["main.py"])]
        )
    finally:
        os.chdir(old)
    if err.strip():
        raise AssertionError(f"mypy wrote to stderr:\n{err}")
    if status == 2 and batch:
        raise AssertionError("a blocking error stopped the batch")
    return sorted((line for line in out.splitlines() if line.strip()), key=_sort_key)


def _without_plugin_section(config: str) -> str:
    kept, skipping = [], False
    for line in config.splitlines():
        if line.startswith("["):
            skipping = line.strip() == "[mypy_asyncres]"
        if not skipping:
            kept.append(line)
    return "\n".join(kept)


@functools.cache
def _cache_key(flags: tuple[str, ...]) -> str:
    options = process_options([*flags, "main.py"])[1]
    return json.dumps(options.select_options_affecting_cache(), sort_keys=True, default=str)


_clock = itertools.count(1_600_000_000)


def _write(path: Path, text: str) -> None:
    """Write with an mtime no other write of this run has: cases share one mypy cache and
    reuse module names (`lib`), and mypy trusts a cached module whose file has the same
    size and mtime (in seconds), as two quick writes of different cases can."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    stamp = next(_clock)
    os.utime(path, (stamp, stamp))


def write_files(case: Case, workdir: Path) -> None:
    for fixture in sorted((DATA / "fixtures").glob("*.py")):
        _write(workdir / fixture.name, fixture.read_text())
    for rel, text in case.files.items():
        _write(workdir / rel, text)


def touch_main(workdir: Path) -> None:
    """Change main.py without moving a line, so mypy checks it again."""
    main = workdir / "main.py"
    _write(main, main.read_text() + "# warm run\n")


@dataclass
class BatchResult:
    cold: dict[str, list[str]]  # by case name: its lines, with main.py as the path
    warm: dict[str, list[str]]


def run_batch(cases: list[Case], workdir: Path, cache_root: Path, flags: list[str]) -> BatchResult | None:
    """Run batchable cases as modules of one mypy run, cold then warm; None if the
    run did not go cleanly (mypy wrote to stderr, or a case's line is not its own)."""
    modules = {f"case_{i:03d}.py": case for i, case in enumerate(cases)}
    for fixture in sorted((DATA / "fixtures").glob("*.py")):
        _write(workdir / fixture.name, fixture.read_text())
    for module, case in modules.items():
        _write(workdir / module, case.files["main.py"])
    results = []
    for _ in ("cold", "warm"):
        try:
            lines = run_mypy(workdir, cache_root, flags, files=list(modules), batch=True)
        except AssertionError:
            return None
        per_case: dict[str, list[str]] = {case.name: [] for case in cases}
        for line in lines:
            module, sep, rest = line.partition(":")
            case = modules.get(module)
            if case is None or not sep:
                return None  # a line about a fixture or a blocking error: run cases alone
            per_case[case.name].append(f"main.py:{rest}")
        results.append(per_case)
        for module in modules:
            _write(workdir / module, (workdir / module).read_text() + "# warm run\n")
    return BatchResult(cold=results[0], warm=results[1])
