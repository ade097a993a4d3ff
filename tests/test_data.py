"""Runs every case of test-data/*.test, cold then warm (see datadriven.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.datadriven import Case, all_cases, run_mypy, touch_main, write_files

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.source_file}::{c.name}" for c in CASES])
def test_case(case: Case, tmp_path: Path, cache_root: Path) -> None:
    write_files(case, tmp_path)
    extra = case.files.get("mypy.ini", "")
    expected = case.expected()
    cold = run_mypy(tmp_path, cache_root, case.flags, extra)
    assert cold == expected, "cold run"
    touch_main(tmp_path)
    warm = run_mypy(tmp_path, cache_root, case.flags, extra)
    assert warm == expected, "warm run (own modules from mypy's cache)"
