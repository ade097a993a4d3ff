"""The generated parts of the documentation match the code (scripts/update_docs.py)."""

from __future__ import annotations

import re
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


def test_module_map_lists_every_module() -> None:
    text = (REPO / "docs" / "contributing.md").read_text(encoding="utf-8")
    section = text[text.index("## The module map") : text.index("### The path of one call")]
    listed = set(re.findall(r"^\| `(mypy_asyncres/[^`]+)`", section, re.MULTILINE))
    package = REPO / "mypy_asyncres"
    present = {
        str(path.relative_to(REPO))
        for path in [*package.rglob("*.py"), *package.rglob("*.ini")]
        if path.name != "__init__.py" or path.parent == package
    }
    present.add("mypy_asyncres/resources/catalogue_data/*.json")
    assert listed == present
