from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """mypy caches shared by every in-process run (one per flag set, see datadriven.py)."""
    return tmp_path_factory.mktemp("mypy-cache")
