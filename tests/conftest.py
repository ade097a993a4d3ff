from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """mypy caches shared by every in-process run (one per flag set, see datadriven.py)."""
    return tmp_path_factory.mktemp("mypy-cache")


_EXIT_STATUS = "asyncres_exit_status"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    setattr(session.config, _EXIT_STATUS, int(exitstatus))


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Exit without tearing the interpreter down, as mypy itself does (`hard_exit`).

    The in-process mypy runs leave millions of objects; collecting them at the end
    (pytest's unraisable-exception plugin forces a full collection) and freeing them
    at interpreter exit took ~20 s, after the results were already printed.
    """
    status = getattr(config, _EXIT_STATUS, None)
    if status is not None and not hasattr(sys, "pypy_version_info"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)

