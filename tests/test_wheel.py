"""The built wheel holds what the plugin needs, and mypy loads the plugin from it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_wheel_contents_and_plugin_load(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    (wheel,) = dist.glob("mypy_asyncres-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    catalogue = {p.name for p in (REPO / "mypy_asyncres" / "resources" / "catalogue_data").glob("*.json")}
    assert {f"mypy_asyncres/resources/catalogue_data/{name}" for name in catalogue} <= names
    assert {"mypy_asyncres/py.typed", "mypy_asyncres/commands/cli_default.ini", "mypy_asyncres/__init__.py"} <= names
    assert not any(name.startswith(("tests/", "benchmarks/", "scripts/")) for name in names)
    project = tmp_path / "project"
    project.mkdir()
    (project / "mypy.ini").write_text("[mypy]\nplugins = mypy_asyncres\n")
    (project / "leak.py").write_text("def f(p: str) -> str:\n    return open(p).read()\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"))
    where = subprocess.run(
        [sys.executable, "-c", "import mypy_asyncres; print(mypy_asyncres.__file__)"],
        cwd=project, env=env, capture_output=True, text=True, check=True,
    )
    assert where.stdout.startswith(str(tmp_path / "site"))
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--no-error-summary", "leak.py"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.splitlines() == [
        'leak.py:2: error: "open(...)" must be entered with "with", but it is used directly (".read")  [resource-not-entered]',
        'leak.py:2: note: Enter it and use it inside the block: "with open(...) as x:", then "x.read"',
    ]
