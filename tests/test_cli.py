"""`mypy-asyncres` / `python -m mypy_asyncres`: a real subprocess, as users run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mypy_asyncres.commands.cli import PLUGIN, switch_on_plugin

REPO = Path(__file__).resolve().parent.parent

EXAMPLE_OUTPUT = """\
examples/fetch.py:7: error: "ClientSession" must be entered with "async with", but it is bound to "session"  [resource-not-entered]
examples/fetch.py:7: note: Use "async with ... as session:" so that it is released on every path
examples/fetch.py:8: error: "ClientResponse" must be entered with "async with", but it is bound to "resp"  [resource-not-entered]
examples/fetch.py:8: note: Drop the "await" and enter it: "async with session.get(...) as resp:"
examples/leases.py:25: error: "Lease" must be entered with "async with", but it is discarded  [resource-not-entered]
examples/leases.py:25: note: Enter it: "async with store.lease(...):"
Found 3 errors in 2 files (checked 2 source files)
"""


def run_cli(cwd: Path, *args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), MYPYPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "mypy_asyncres", "--cache-dir", str(cache), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-cache")


def test_example_without_any_config(tmp_path: Path, cache: Path) -> None:
    # No mypy config anywhere: the CLI must still switch the plugin on.
    (tmp_path / "examples").mkdir()
    for example in (REPO / "examples").glob("*.py"):
        (tmp_path / "examples" / example.name).write_text(example.read_text())
    result = run_cli(tmp_path, "examples/", cache=cache)
    # mypy's order of files follows its module graph; the lines themselves are asserted.
    assert sorted(result.stdout.splitlines()) == sorted(EXAMPLE_OUTPUT.splitlines())
    assert (result.stderr, result.returncode) == ("", 1)


def test_project_config_is_kept_and_plugin_not_doubled(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mypy]\nplugins = ["mypy_asyncres"]\ndisable_error_code = ["resource-not-entered"]\n'
    )
    (tmp_path / "ok.py").write_text("from fixture import Res\nRes()\n")
    (tmp_path / "fixture.py").write_text((REPO / "test-data/fixtures/fix.py").read_text())
    result = run_cli(tmp_path, "ok.py", cache=cache)
    assert (result.stdout, result.returncode) == ("Success: no issues found in 1 source file\n", 0)


def test_mypy_usage_errors_pass_through(tmp_path: Path, cache: Path) -> None:
    result = run_cli(tmp_path, "--no-such-flag", cache=cache)
    assert result.returncode == 2
    assert "mypy-asyncres: error: unrecognized arguments: --no-such-flag" in result.stderr


def test_switch_on_plugin_appends_once() -> None:
    plugins, config = switch_on_plugin(["pydantic.mypy"], "setup.cfg")
    assert (plugins, config) == (["pydantic.mypy", PLUGIN], "setup.cfg")
    assert switch_on_plugin([PLUGIN], "mypy.ini") == ([PLUGIN], "mypy.ini")
    assert switch_on_plugin([], None)[1].endswith("cli_default.ini")


def test_runtime_import_does_not_import_mypy() -> None:
    code = "import sys, mypy_asyncres; print(any(m == 'mypy' or m.startswith('mypy.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(REPO)),
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_importing_must_enter_does_not_make_mypy_check_mypy(tmp_path: Path) -> None:
    """`from mypy_asyncres import must_enter` in a user's code: mypy follows the imports of
    the package (TYPE_CHECKING ones too) and must not reach mypy's own sources."""
    from mypy import build
    from mypy.modulefinder import BuildSource
    from mypy.options import Options

    (tmp_path / "user.py").write_text("from mypy_asyncres import must_enter\n")
    options = Options()
    options.mypy_path = [str(REPO)]
    options.incremental = False
    result = build.build([BuildSource(str(tmp_path / "user.py"), "user")], options)
    checked = sorted(result.files)
    assert "mypy_asyncres.marks" in checked
    assert [m for m in checked if m == "mypy" or m.startswith("mypy.")] == []


def test_console_script(tmp_path: Path, cache: Path) -> None:
    """The `mypy-asyncres` script that pip installs next to the interpreter."""
    script = Path(sys.executable).parent / "mypy-asyncres"
    (tmp_path / "leak.py").write_text("import subprocess\ndef run() -> None:\n    p = subprocess.Popen(['true'])\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run(
        [str(script), "--no-error-summary", "--cache-dir", str(cache), "leak.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.splitlines() == [
        'leak.py:3: error: "Popen[bytes]" must be entered with "with", but it is bound to "p"  [resource-not-entered]',
        'leak.py:3: note: Use "with ... as p:" so that it is released on every path',
    ]


def test_must_enter_returns_what_it_decorates() -> None:
    from mypy_asyncres import must_enter

    class Conn:
        pass

    def make() -> Conn:
        return Conn()

    assert must_enter(Conn) is Conn
    assert must_enter(make) is make


def test_version_names_the_plugin_and_mypy(tmp_path: Path, cache: Path) -> None:
    import platform

    import mypy.version

    from mypy_asyncres import __version__

    result = run_cli(tmp_path, "--version", cache=cache)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        # (the release: mypy's run in this process may have appended the catalogue's digest)
        f"mypy-asyncres {__version__.partition('+')[0]} (mypy {mypy.version.__version__}, "
        f"Python {platform.python_version()})\n"
    )


def test_help_begins_with_what_the_plugin_adds(tmp_path: Path, cache: Path) -> None:
    result = run_cli(tmp_path, "--help", cache=cache)
    assert result.returncode == 0
    first = result.stdout.splitlines()[0]
    assert first == "mypy-asyncres: mypy with the mypy_asyncres plugin switched on. It reports resources"
    assert "--list-resources" in result.stdout and "resource-used-after-exit" in result.stdout
    assert result.stdout.index("mypy's own options follow.") < result.stdout.index("--strict")


def test_list_resources_after_the_configuration(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mypy]\n[tool.mypy-asyncres]\nignore_resources = ["aiohttp.TCPConnector"]\nresources = ["app.Conn"]\n'
    )
    result = run_cli(tmp_path, "--list-resources", cache=cache)
    assert (result.returncode, result.stderr) == (0, "")
    rows = {line.split()[0]: line.split()[-1] for line in result.stdout.splitlines()[1:-1]}
    assert rows["aiohttp.ClientSession"] == "active"
    assert rows["aiohttp.TCPConnector"] == "off"  # "switched off"
    assert rows["app.Conn"] == "configured"
    as_json = run_cli(tmp_path, "--list-resources", "--json", cache=cache)
    import json

    entries = {e["name"]: e for e in json.loads(as_json.stdout)}
    assert entries["aiohttp.TCPConnector"]["status"] == "switched off"
    assert entries["httpx.AsyncClient"] == {
        "name": "httpx.AsyncClient", "library": "httpx", "kind": "class", "status": "active", "version": "0.28.1"
    }


def test_list_resources_with_bad_configuration_is_one_line(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.mypy]\n[tool.mypy_asyncres]\nignore_resources = ["aiofiles.open"]\n')
    result = run_cli(tmp_path, "--list-resources", cache=cache)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "still a resource" in result.stderr


def test_stats_line_counts_what_became_of_each_resource(tmp_path: Path, cache: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import subprocess\n"
        "def run() -> subprocess.Popen[bytes]:\n"
        "    with subprocess.Popen(['true']) as ok:\n"
        "        ok.wait()\n"
        "    leaked = subprocess.Popen(['true'])\n"
        "    print(leaked)\n"
        "    return subprocess.Popen(['true'])\n"
    )
    result = run_cli(tmp_path, "--stats", "--no-error-summary", "app.py", cache=cache)
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == (
        "mypy-asyncres: 3 resources created, 1 entered, 1 handed off, 1 reported (in the modules checked in this run)"
    )
