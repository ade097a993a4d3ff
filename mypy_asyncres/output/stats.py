"""What `mypy-asyncres --stats` counts: resources created in the modules mypy checked in
this run, and what became of each (the figure a team watches while adopting the rule).

The command line switches it on before the build; the plugin records one outcome per
call in the source (mypy checks some calls more than once), the last it saw.
"""

from __future__ import annotations

from typing import Final

ENTERED: Final = "entered"
HANDED_OFF: Final = "handed off"
REPORTED: Final = "reported"

# Off unless the command line asks: the plugin then does nothing here.
enabled = False
_outcomes: dict[tuple[str, int, int], str] = {}


def record(path: str, line: int, column: int, outcome: str) -> None:
    _outcomes[(path, line, column)] = outcome


def summary() -> str:
    counts = {ENTERED: 0, HANDED_OFF: 0, REPORTED: 0}
    for outcome in _outcomes.values():
        counts[outcome] += 1
    return (
        f"mypy-asyncres: {len(_outcomes)} resources created, {counts[ENTERED]} entered, "
        f"{counts[HANDED_OFF]} handed off, {counts[REPORTED]} reported (in the modules checked in this run)"
    )
