"""Runs every case of test-data/*.test, cold then warm (see datadriven.py).

The cases of one `.test` file run as one batch, once on each xdist worker that gets any
of them (xdist hands the tests out in order, so mostly one).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.datadriven import BatchResult, Case, all_cases, run_batch, run_mypy, touch_main, write_files

CASES = all_cases()

# Batches run on this worker, by `.test` file and flags; None: the batch did not run cleanly.
_batches: dict[tuple[str, tuple[str, ...]], BatchResult | None] = {}


def _batch(case: Case, tmp_path_factory: pytest.TempPathFactory, cache_root: Path) -> BatchResult | None:
    key = (case.source_file, tuple(case.flags))
    if key not in _batches:
        batch = [c for c in CASES if (c.source_file, tuple(c.flags)) == key and c.batchable]
        workdir = tmp_path_factory.mktemp(f"batch-{case.source_file}")
        _batches[key] = run_batch(batch, workdir, cache_root, case.flags)
    return _batches[key]


@pytest.mark.parametrize(
    "case",
    CASES,
    ids=[f"{c.source_file}::{c.name}" for c in CASES],
)
def test_case(
    case: Case, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, cache_root: Path
) -> None:
    expected = case.expected()
    batch = _batch(case, tmp_path_factory, cache_root) if case.batchable else None
    if batch is not None:
        assert batch.cold[case.name] == expected, "cold run"
        assert batch.warm[case.name] == expected, "warm run (own modules from mypy's cache)"
        return
    write_files(case, tmp_path)
    extra = case.files.get("mypy.ini", "")
    cold = run_mypy(tmp_path, cache_root, case.flags, extra)
    assert cold == expected, "cold run"
    touch_main(tmp_path)
    warm = run_mypy(tmp_path, cache_root, case.flags, extra)
    assert warm == expected, "warm run (own modules from mypy's cache)"
