#!/usr/bin/env python3
"""Development script: rewrite the generated parts of the documentation from the code.

    python scripts/update_docs.py

- docs/catalogue.md: the catalogue table, from mypy_asyncres/resources/catalogue_data;
- docs/error-codes.md: the summary table of codes, from mypy_asyncres/output/errors.py.

tests/test_docs.py fails when either is stale. Nothing in the installed package writes
files; this script lives outside it.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mypy_asyncres.resources.catalogue import load_entries, markdown_table  # noqa: E402

CATALOGUE_START = "<!-- catalogue:start (generated: python scripts/update_docs.py) -->"
CATALOGUE_END = "<!-- catalogue:end -->"
CODES_START = "<!-- codes:start (generated: python scripts/update_docs.py) -->"
CODES_END = "<!-- codes:end -->"


def codes_table() -> str:
    from mypy.errorcodes import ErrorCode

    from mypy_asyncres.output import errors

    codes = [value for value in vars(errors).values() if isinstance(value, ErrorCode)]
    rows = ["| code | default | sub-code of | what it reports |", "| --- | --- | --- | --- |"]
    for code in codes:
        parent = f"`{code.sub_code_of.code}`" if code.sub_code_of is not None else ""
        enabled = "on" if code.default_enabled else "off"
        rows.append(f"| [`{code.code}`](#{code.code}) | {enabled} | {parent} | {code.description} |")
    return "\n".join(rows)


def generated() -> dict[Path, tuple[str, str, str]]:
    return {
        REPO / "docs" / "catalogue.md": (CATALOGUE_START, CATALOGUE_END, markdown_table(load_entries())),
        REPO / "docs" / "error-codes.md": (CODES_START, CODES_END, codes_table()),
    }


def replaced(text: str, start: str, end: str, body: str) -> str:
    head, found, rest = text.partition(start)
    if not found:
        raise SystemExit(f"marker {start!r} not found")
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{body}\n{end}{tail}"


def main() -> int:
    for path, (start, end, body) in generated().items():
        text = path.read_text(encoding="utf-8")
        new = replaced(text, start, end, body)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"updated {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
