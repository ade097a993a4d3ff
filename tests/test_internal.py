"""A bug inside the plugin becomes one `resource-internal` error; mypy goes on checking."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import pytest
from mypy.version import __version__ as mypy_version

from mypy_asyncres.facts import marked
from mypy_asyncres.rules import checker
from tests.datadriven import run_mypy


def _boom(*args: Any) -> NoReturn:
    raise RuntimeError("boom")


def _expected(line: int) -> str:
    return (
        f"main.py:{line}: error: mypy_asyncres failed here (RuntimeError: boom); this is a bug in "
        f"mypy_asyncres, please report it with mypy {mypy_version}  [resource-internal]"
    )


def test_exception_in_call_check(tmp_path: Path, cache_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checker.CallChecker, "check", _boom)
    (tmp_path / "main.py").write_text(
        "from contextlib import nullcontext\n"
        "from mypy_asyncres import must_enter\n"
        "@must_enter\n"
        "def make() -> nullcontext[None]:\n"
        "    return nullcontext()\n"
        "r = make()\n"
        "y: str = 1\n"
    )
    out = run_mypy(tmp_path, cache_root, [])
    assert out == [
        _expected(6),
        'main.py:7: error: Incompatible types in assignment (expression has type "int", '
        'variable has type "str")  [assignment]',
    ]


def test_exception_in_class_mark(tmp_path: Path, cache_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(marked, "has_enter_and_exit", _boom)
    (tmp_path / "main.py").write_text(
        "from mypy_asyncres import must_enter\n\n@must_enter\nclass C:\n    pass\n"
    )
    assert run_mypy(tmp_path, cache_root, []) == [_expected(3)]
