from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Send the cases of one `.test` file to one worker, as one unit: they run as one
    batch (see test_data.py), and the libraries they import are analysed on one worker
    only. Every other test is a unit of its own. (xdist's `--dist loadgroup` does not
    group under pytest 9.2: xdist 3.8 tags the group onto `item._nodeid`, which pytest
    9.2 no longer reads.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ByTestFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            head, sep, param = nodeid.partition("::test_case[")
            if sep and head.endswith("test_data.py"):
                return head + sep + param.partition("::")[0]
            return nodeid

    return ByTestFile(config, log)


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

