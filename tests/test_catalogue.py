"""The catalogue data: well-formed, and the README's table generated from it."""

from __future__ import annotations

from pathlib import Path

from mypy_asyncres.resources.catalogue import load_entries

REPO = Path(__file__).resolve().parent.parent


def test_names_are_unique_and_dotted() -> None:
    entries = load_entries()
    names = [entry.name for entry in entries]
    assert len(names) == len(set(names))
    assert all("." in name for name in names)


def test_every_library_file_has_cases() -> None:
    """Each catalogue file is exercised by test-data cases against the real library."""
    cases = "\n".join(p.read_text() for p in (REPO / "test-data").glob("*.test"))
    entries = load_entries()
    missing = sorted({e.library for e in entries if e.library != "stdlib" and f"import {e.name.split('.')[0]}" not in cases and f"from {e.name.split('.')[0]}" not in cases})
    assert missing == []
