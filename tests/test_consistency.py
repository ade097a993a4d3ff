"""The same diagnostics cold, warm (incremental cache), in parallel and in the daemon,
through edits that add and remove marks, change the configuration, and change a user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import mypy.api
import pytest

REPO = Path(__file__).resolve().parent.parent
FILES = ["app.py", "lib.py"]

LIB = """\
from mypy_asyncres import must_enter, owns
{class_mark}class Conn:
    def __enter__(self) -> "Conn":
        return self
    def __exit__(self, *exc: object) -> None: ...
    def close(self) -> None: ...
{function_mark}def make() -> Conn:
    return Conn()
class Base:
    _conn: Conn
    def close(self) -> None:
        {release}
class Holder:
    @owns("conn")
    def __init__(self, conn: Conn) -> None:
        self.conn = conn
    def close(self) -> None:
        self.conn.close()
"""
# Ownership facts of lib (what Base.close releases, what Holder owns) come from the cache
# when only app changes.
APP = """\
from lib import Base, Conn, Holder, make
class Mine(Base):
    def open(self) -> None:
        self._conn = Conn()
        self._other = Conn()
def g() -> None:
    Holder(Conn()).close()
def f() -> None:
    c = Conn()
    m = make()
{extra}"""
RELEASE = "self._conn.close()"
NOT_RELEASED = [
    'app.py:5: error: "Conn" is stored in "self._other", but "Base.close" does not release it  [resource-not-released]'
]
USE_AFTER_EXIT = "    with make() as used:\n        pass\n    used.close()\n"
USED_AFTER_EXIT = [
    'app.py:13: error: "used" is used after the block that released it (ended on line 12): a call of "used.close"  [resource-used-after-exit]',
    'app.py:13: note: Move the use into the "with" block, or keep the resource open where it is used',
]
CONFIG = "[mypy]\nplugins = mypy_asyncres\nstrict = True\n{section}"


def bound(line: int, name: str) -> list[str]:
    return [
        f'app.py:{line}: error: "Conn" must be entered with "with", but it is bound to "{name}"  [resource-not-entered]',
        f'app.py:{line}: note: Use "with ... as {name}:" so that it is released on every path',
    ]


# (what the step changes, lib marks, app extra lines, config section, expected lines[,
# the body of lib's Base.close])
STEPS = [
    ("no marks", "", "", "", "", []),
    ("add the class mark", "@must_enter\n", "", "", "", bound(9, "c") + bound(10, "m") + NOT_RELEASED),
    ("remove the class mark", "", "", "", "", []),
    ("add the function mark", "", "@must_enter\n", "", "", bound(10, "m")),
    ("change the user", "", "@must_enter\n", "    with make():\n        pass\n", "", bound(10, "m")),
    ("use a resource after its block", "", "@must_enter\n", USE_AFTER_EXIT, "", bound(10, "m") + USED_AFTER_EXIT),
    ("stop using it after its block", "", "@must_enter\n", "    with make():\n        pass\n", "", bound(10, "m")),
    ("configure the class as a resource", "", "@must_enter\n", "", "[mypy_asyncres]\nresources = lib.Conn\n",
     bound(9, "c") + bound(10, "m") + NOT_RELEASED),
    ("change the user again", "", "@must_enter\n", "    with make():\n        pass\n",
     "[mypy_asyncres]\nresources = lib.Conn\n", bound(9, "c") + bound(10, "m") + NOT_RELEASED),
    ("stop releasing in the base class", "", "@must_enter\n", "    with make():\n        pass\n",
     "[mypy_asyncres]\nresources = lib.Conn\n", bound(9, "c") + bound(10, "m") + NOT_RELEASED + [
         'app.py:4: error: "Conn" is stored in "self._conn", but "Base.close" does not release it  [resource-not-released]'
     ], "pass"),
    ("remove configuration and marks", "", "", "", "", []),
]


def env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), MYPYPATH=str(REPO))


def run(cwd: Path, *args: str) -> list[str]:
    result = subprocess.run([sys.executable, *args], cwd=cwd, env=env(), capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr + result.stdout
    assert result.returncode in (0, 1), result.stderr + result.stdout
    return sorted(line for line in result.stdout.splitlines() if line.startswith("app.py") or line.startswith("lib.py"))


def run_in_process(cwd: Path, *args: str) -> list[str]:
    """`mypy *args` in this process (cold and warm runs need no process of their own;
    saves ~0.3 s of start-up per run)."""
    old_cwd, old_path = os.getcwd(), os.environ.get("MYPYPATH")
    os.chdir(cwd)
    os.environ["MYPYPATH"] = str(REPO)
    try:
        out, err, status = mypy.api.run(list(args))
    finally:
        os.chdir(old_cwd)
        if old_path is None:
            del os.environ["MYPYPATH"]
        else:
            os.environ["MYPYPATH"] = old_path
    assert "Traceback" not in out + err and status in (0, 1), out + err
    return sorted(line for line in out.splitlines() if line.startswith("app.py") or line.startswith("lib.py"))


def write_step(
    project: Path, class_mark: str, function_mark: str, extra: str, section: str, release: str = RELEASE
) -> None:
    (project / "lib.py").write_text(LIB.format(class_mark=class_mark, function_mark=function_mark, release=release))
    (project / "app.py").write_text(APP.format(extra=extra))
    (project / "mypy.ini").write_text(CONFIG.format(section=section))


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[list[str]]:
    status = tmp_path / "dmypy.json"
    command = ["-m", "mypy.dmypy", "--status-file", str(status)]
    yield command
    subprocess.run([sys.executable, *command, "kill"], cwd=tmp_path / "project", env=env(), capture_output=True, timeout=60)


MODES = ["cold", "warm", "parallel", "daemon"]
FLAGS = ["--no-error-summary", "--no-color-output"]


@pytest.fixture(scope="session")
def stdlib_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache that holds only the standard library, built once per worker: the modes
    start from copies of it, as from a user's earlier run of another project."""
    where = tmp_path_factory.mktemp("stdlib-cache")
    (where / "mypy.ini").write_text(CONFIG.format(section=""))
    (where / "base.py").write_text("import contextlib\n")
    run(where, "-m", "mypy", "--cache-dir", str(where / "cache"), "base.py")
    return where / "cache"


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_follows_every_edit(tmp_path: Path, daemon: list[str], stdlib_cache: Path, mode: str) -> None:
    """Each mode walks the same edits and must print the lines each step expects, so all
    four agree. One test per mode lets them run on both cores."""
    project = tmp_path / "project"
    project.mkdir()
    # "Cold": each step checks the project's own modules from scratch, on a copy of the
    # standard library's cache. "Warm" and "parallel": one cache follows all the edits.
    for kept in ("warm", "parallel"):
        shutil.copytree(stdlib_cache, tmp_path / kept)
    for number, (step, class_mark, function_mark, extra, section, expected, *rest) in enumerate(STEPS):
        write_step(project, class_mark, function_mark, extra, section, str(rest[0]) if rest else RELEASE)
        if mode == "cold":
            cache = tmp_path / f"cold{number}"
            shutil.copytree(stdlib_cache, cache)
            lines = run_in_process(project, "--cache-dir", str(cache), *FLAGS, *FILES)
        elif mode == "warm":
            lines = run_in_process(project, "--cache-dir", str(tmp_path / "warm"), *FLAGS, *FILES)
        elif mode == "parallel":
            lines = run(
                project, "-m", "mypy", "--cache-dir", str(tmp_path / "parallel"), "--num-workers", "2", *FLAGS, *FILES
            )
        else:
            lines = run(project, *daemon, "run", "--", *FLAGS, *FILES)
        assert lines == sorted(expected), f"{step}: {mode}"


OWNER_LIB = """\
from res import Conn
class Base:
    _conn: Conn
    def close(self) -> None:
        {release}
    def conn(self) -> Conn:
        return {lent}
"""
OWNER_APP = """\
from res import Conn
from lib import Base
class Mine(Base):
    def open(self) -> None:
        self._conn = Conn()
def use(b: Base) -> None:
    c = b.conn()
"""
OWNER_RES = """\
from mypy_asyncres import must_enter
@must_enter
class Conn:
    def __enter__(self) -> "Conn":
        return self
    def __exit__(self, *exc: object) -> None: ...
    def close(self) -> None: ...
"""


def _owner_project(tmp_path: Path, app: str) -> Path:
    """A project of app.py, res.py (the resource) and the configuration; lib.py is the step's."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "mypy.ini").write_text(CONFIG.format(section=""))
    (project / "res.py").write_text(OWNER_RES)
    (project / "app.py").write_text(app)
    return project


def test_daemon_follows_changed_owner_facts(tmp_path: Path, daemon: list[str]) -> None:
    """A base class in another module stops releasing a field, then a lending method starts
    creating: the daemon rechecks the code that those facts judge (they live in metadata,
    which the daemon does not compare by itself)."""
    project = _owner_project(tmp_path, OWNER_APP)
    files = ["app.py", "lib.py", "res.py"]
    not_released = (
        'app.py:5: error: "Conn" is stored in "self._conn", but "Base.close" does not release it  [resource-not-released]'
    )
    steps = [
        ("self._conn.close()", "self._conn", []),
        ("pass", "self._conn", [not_released]),
        ("pass", "Conn()", [
            not_released,
            'app.py:7: error: "Conn" must be entered with "with", but it is bound to "c"  [resource-not-entered]',
            'app.py:7: note: Use "with ... as c:" so that it is released on every path',
        ]),
    ]
    for release, lent, expected in steps:
        (project / "lib.py").write_text(OWNER_LIB.format(release=release, lent=lent))
        assert run(project, *daemon, "run", "--", *FLAGS, *files) == sorted(expected), (release, lent)


FLAG_LIB = """\
from res import Conn
class Reader:
    def __init__(self, conn: Conn, close_conn: bool = {default}) -> None:
        self.conn = conn
        self.close_conn = close_conn
    def close(self) -> None:
        if self.close_conn:
            self.conn.close()
"""
FLAG_APP = """\
from res import Conn
from lib import Reader
def read() -> Reader:
    return Reader(Conn())
"""


def test_daemon_follows_a_changed_ownership_flag(tmp_path: Path, daemon: list[str]) -> None:
    """Whether `Reader(conn)` owns `conn` depends on the default of the flag that another
    module's `__init__` sets: flipping it changes what the caller is told."""
    project = _owner_project(tmp_path, FLAG_APP)
    files = ["app.py", "lib.py", "res.py"]
    passed = 'app.py:4: error: "Conn" must be entered with "with", but it is passed to "Reader"  [resource-not-entered]'
    for default, expected in [("True", []), ("False", [passed]), ("True", [])]:
        (project / "lib.py").write_text(FLAG_LIB.format(default=default))
        assert run(project, *daemon, "run", "--", *FLAGS, *files) == expected, default


FACTORY_LIB = """\
from typing import IO
def make(path: str) -> IO[str]:
    f = open(path)
{closing}    return f
def use(path: str) -> None:
    got = make(path)
    print(got.read())
"""


def test_daemon_follows_a_factory_known_from_its_body(tmp_path: Path, daemon: list[str]) -> None:
    """A function whose every return hands back what it creates is a factory for the
    callers in its module; closing before the return makes it none. The daemon rechecks
    the whole module that changed, so its callers follow."""
    project = _owner_project(tmp_path, "")
    bound = [
        'lib.py:6: error: "make(...)" must be entered with "with", but it is bound to "got"  [resource-not-entered]',
        'lib.py:6: note: Use "with ... as got:" so that it is released on every path',
    ]
    for closing, expected in [("", bound), ("    f.close()\n", []), ("", bound)]:
        (project / "lib.py").write_text(FACTORY_LIB.format(closing=closing))
        assert run(project, *daemon, "run", "--", *FLAGS, "app.py", "lib.py") == expected, closing
