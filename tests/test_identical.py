"""With the plugin on, mypy's own diagnostics stay exactly what they are without it.

The module below calls names that mypy's default plugin hooks (functools.partial,
int.__neg__/__pow__, TypedDict.get, enum.member, singledispatch, len) next to calls that
create resources, so that a hook of ours that hid one of mypy's would show here.
"""

from __future__ import annotations

from pathlib import Path

from tests.datadriven import REPO, run_mypy

SAMPLE = '''
import enum
import functools
from typing import TypedDict
import aiohttp
from fix import Res, ARes, Box, session

class Movie(TypedDict, total=False):
    name: str
    year: int

def add(a: int, b: int) -> int:
    return a + b

@functools.singledispatch
def show(x: object) -> str:
    return "x"

@show.register
def _(x: int) -> str:
    return "int"

class Color(enum.Enum):
    RED = enum.member(1)

async def main(m: Movie) -> None:
    reveal_type(-1)
    reveal_type(2 ** 8)
    reveal_type(functools.partial(add, 1))
    functools.partial(add, "no")
    reveal_type(m.get("year"))
    reveal_type(m.get("name", 3))
    reveal_type(show(1))
    reveal_type(Color.RED)
    reveal_type(len((1, 2)))
    r = Res()
    b = Box(-1)
    s = aiohttp.ClientSession()
    reveal_type(s.get("u"))
    reveal_type(session())
    reveal_type(await s.get("u"))
'''


def test_mypy_output_identical_apart_from_plugin_codes(tmp_path: Path, cache_root: Path) -> None:
    (tmp_path / "main.py").write_text(SAMPLE)
    (tmp_path / "fix.py").write_text((REPO / "test-data/fixtures/fix.py").read_text())
    without = run_mypy(tmp_path, cache_root, [], plugin=False)
    with_plugin = run_mypy(tmp_path, cache_root, [])
    ours = [line for line in with_plugin if "[resource-" in line or 'Use "' in line]
    assert [line for line in with_plugin if line not in ours] == without
    assert len(without) > 10 and len(ours) == 6  # the sample really exercises both sides
