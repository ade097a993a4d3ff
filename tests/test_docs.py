"""The generated parts of the documentation match the code (scripts/update_docs.py)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import update_docs  # noqa: E402


def test_generated_parts_are_current() -> None:
    for path, (start, end, body) in update_docs.generated().items():
        text = path.read_text(encoding="utf-8")
        assert update_docs.replaced(text, start, end, body) == text, (
            f"{path.name} is stale: run `python scripts/update_docs.py`"
        )


def test_every_code_has_a_section() -> None:
    from mypy.errorcodes import ErrorCode

    from mypy_asyncres.output import errors

    text = (REPO / "docs" / "error-codes.md").read_text(encoding="utf-8")
    for value in vars(errors).values():
        if isinstance(value, ErrorCode):
            assert f'<a id="{value.code}"></a>' in text, value.code


def test_readme_links_every_page() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for page in sorted((REPO / "docs").glob("*.md")):
        assert f"docs/{page.name}" in readme, page.name
