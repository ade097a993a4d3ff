"""The per-build memo of answers (hook answers by callee name, the resource predicate's
answers by class) and its invalidation: the one owner of both.

Within one build an answer changes only when the catalogue resolves names of a package
that the answer consulted while they were unresolved (a library's own modules are
checked before its `__init__`, which names them): such answers are forgotten then. The
catalogue tells the memo both things through one listener (`consulted_pending`,
`grew`). The daemon re-analyses classes in place: it keeps no answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")


class BuildMemo:
    def __init__(self, *, keep: bool) -> None:
        self.keep = keep
        # Per answer being computed (nested): the packages it consulted while they still
        # had unresolved entries, i.e. what it depends on.
        self._consulted: list[set[str]] = []
        self._dependents: dict[str, list[tuple[dict[str, Any], str]]] = {}
        # What a kept answer depends on, by (memo, key): only answers that consulted a
        # package while it was pending.
        self._depends_on: dict[tuple[int, str], set[str]] = {}

    def answer(self, memo: dict[str, Any], key: str, compute: Callable[[], _T]) -> _T:
        """memo[key], computed if missing, and kept until a package it consulted while
        that package still had unresolved entries gains names.

        A kept answer that depends on such packages passes them on to the answers being
        computed around it, which depend on them too.
        """
        stack = self._consulted
        if key in memo:
            if stack and self._depends_on:  # (only an answer being computed can inherit)
                depends = self._depends_on.get((id(memo), key))
                if depends:
                    for outer in stack:
                        outer |= depends
            return memo[key]  # type: ignore[no-any-return]
        consulted: set[str] = set()
        stack.append(consulted)
        try:
            value = compute()
        finally:
            stack.pop()
        if self.keep:
            memo[key] = value
            if consulted:
                self._depends_on[(id(memo), key)] = consulted
                for root in consulted:
                    self._dependents.setdefault(root, []).append((memo, key))
        return value

    # The catalogue's listener.

    def consulted_pending(self, root: str) -> None:
        """The answers being computed consulted a package with unresolved entries."""
        for consulted in self._consulted:
            consulted.add(root)

    def grew(self, roots: set[str]) -> None:
        """These packages gained resolved names: forget the answers that consulted them."""
        for root in roots:
            for memo, key in self._dependents.pop(root, []):
                memo.pop(key, None)
                self._depends_on.pop((id(memo), key), None)
