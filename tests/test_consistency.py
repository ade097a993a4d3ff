"""The same diagnostics cold, warm (incremental cache), in parallel and in the daemon,
through edits that add and remove marks, change the configuration, and change a user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FILES = ["app.py", "lib.py"]

LIB = """\
from mypy_asyncres import must_enter
{class_mark}class Conn:
    def __enter__(self) -> "Conn":
        return self
    def __exit__(self, *exc: object) -> None: ...
{function_mark}def make() -> Conn:
    return Conn()
"""
APP = """\
from lib import Conn, make
def f() -> None:
    c = Conn()
    m = make()
{extra}"""
CONFIG = "[mypy]\nplugins = mypy_asyncres\nstrict = True\n{section}"


def bound(line: int, name: str) -> list[str]:
    return [
        f'app.py:{line}: error: "Conn" must be entered with "with", but it is bound to "{name}"  [resource-not-entered]',
        f'app.py:{line}: note: Use "with ... as {name}:" so that it is released on every path',
    ]


# (what the step changes, lib marks, app extra lines, config section, expected lines)
STEPS = [
    ("no marks", "", "", "", "", []),
    ("add the class mark", "@must_enter\n", "", "", "", bound(3, "c") + bound(4, "m")),
    ("remove the class mark", "", "", "", "", []),
    ("add the function mark", "", "@must_enter\n", "", "", bound(4, "m")),
    ("change the user", "", "@must_enter\n", "    with make():\n        pass\n", "", bound(4, "m")),
    ("configure the class as a resource", "", "@must_enter\n", "", "[mypy_asyncres]\nresources = lib.Conn\n",
     bound(3, "c") + bound(4, "m")),
    ("remove configuration and marks", "", "", "", "", []),
]


def env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), MYPYPATH=str(REPO))


def run(cwd: Path, *args: str) -> list[str]:
    result = subprocess.run([sys.executable, *args], cwd=cwd, env=env(), capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr + result.stdout
    assert result.returncode in (0, 1), result.stderr + result.stdout
    return sorted(line for line in result.stdout.splitlines() if line.startswith("app.py") or line.startswith("lib.py"))


def write_step(project: Path, class_mark: str, function_mark: str, extra: str, section: str) -> None:
    (project / "lib.py").write_text(LIB.format(class_mark=class_mark, function_mark=function_mark))
    (project / "app.py").write_text(APP.format(extra=extra))
    (project / "mypy.ini").write_text(CONFIG.format(section=section))


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[list[str]]:
    status = tmp_path / "dmypy.json"
    command = ["-m", "mypy.dmypy", "--status-file", str(status)]
    yield command
    subprocess.run([sys.executable, *command, "kill"], cwd=tmp_path / "project", env=env(), capture_output=True, timeout=60)


def test_cold_warm_parallel_and_daemon_agree(tmp_path: Path, daemon: list[str]) -> None:
    project = tmp_path / "project"
    project.mkdir()
    flags = ["--no-error-summary", "--no-color-output"]
    # "Cold" means the project's own modules are checked from scratch: each step starts
    # from a copy of a cache that holds only the standard library (built once, here).
    (project / "mypy.ini").write_text(CONFIG.format(section=""))
    (project / "base.py").write_text("import contextlib\n")
    run(project, "-m", "mypy", "--cache-dir", str(tmp_path / "base"), "base.py")
    (project / "base.py").unlink()
    for number, (step, class_mark, function_mark, extra, section, expected) in enumerate(STEPS):
        write_step(project, class_mark, function_mark, extra, section)
        cold = tmp_path / f"cold{number}"
        shutil.copytree(tmp_path / "base", cold)
        results = {
            "cold": run(project, "-m", "mypy", "--cache-dir", str(cold), *flags, *FILES),
            "warm": run(project, "-m", "mypy", "--cache-dir", str(tmp_path / "warm"), *flags, *FILES),
            "parallel": run(
                project, "-m", "mypy", "--cache-dir", str(tmp_path / "parallel"), "--num-workers", "2", *flags, *FILES
            ),
            "daemon": run(project, *daemon, "run", "--", *flags, *FILES),
        }
        for mode, lines in results.items():
            assert lines == sorted(expected), f"{step}: {mode}"
