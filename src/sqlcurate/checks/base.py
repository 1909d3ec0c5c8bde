"""The shared base of every check, in datatrove's way: a check only answers for one item; the
``CheckRunner`` counts, times and collects what was dropped and why.

A check may also *fix* an item in place (``--fix``): it replaces ``item.conversation`` and appends a
``Change`` to ``item.changes``; findings it returns are what it could not fix.

``CheckRunner.run_window`` takes a short run of items check by check: each check first gets ``prepare``
with the items that reach it (to batch slow work, e.g. the engine planning many queries at once), then
``findings`` per item. Each check sees the same items, in the same order and state, as with ``run``.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar

from sqlcurate.conversation import Conversation
from sqlcurate.findings import Finding

CODES = {
    "CHECK_FAILED": "a check raised an exception on this row (a bug in the check); the row is quarantined, the run goes on",
}


@dataclass(slots=True)
class Change:
    """One rewrite made by a fixing check, for the change log (line, before, after)."""

    check: str
    code: str
    before: str
    after: str


@dataclass(slots=True)
class Item:
    """A conversation on its way through the checks, with where it came from."""

    conversation: Conversation
    source: str  # input path, for diagnostics
    line: int  # 1-based line number in ``source``
    raw: str = ""  # the raw input line, written to the quarantine file if the item is dropped
    read_as: str = ""  # the input format the reader decided on
    changes: list[Change] = field(default_factory=list)


class Check:
    """Subclasses set ``name`` and ``CODES`` and implement ``findings``."""

    name: ClassVar[str] = "check"
    CODES: ClassVar[dict[str, str]] = {}

    def findings(self, item: Item) -> list[Finding]:
        raise NotImplementedError

    def prepare(self, items: list[Item]) -> None:
        """Optional batch hook: called with the items ``findings`` is about to see, in that order. It may
        only warm caches; verdicts still come from ``findings``, item by item."""

    def close(self) -> None:
        """Release resources (an engine, a cache); called once by the runner."""


@dataclass
class CheckStats:
    seen: int = 0
    dropped: int = 0
    warned: int = 0
    seconds: float = 0.0


class CheckRunner:
    """Runs checks in order; an item with an error-severity finding is dropped (later checks still see
    items that only have warnings). Keeps per-check counts and timings and per-code totals."""

    # Items per ``run_window``: enough for the engine check to keep its connections busy, few enough that
    # the queries of one window stay in the shared parse cache (``transpile.analyze``, 256 entries)
    # while every check of the window reads them, and that memory stays bounded.
    WINDOW = 64

    def __init__(self, checks: list[Check]):
        self.checks = checks
        self.stats: dict[str, CheckStats] = {c.name: CheckStats() for c in checks}
        self.codes: Counter[str] = Counter()

    def _apply(self, check: Check, item: Item) -> tuple[list[Finding], bool]:
        """One check on one item: its findings, and whether they drop the item."""
        stats = self.stats[check.name]
        stats.seen += 1
        t0 = time.perf_counter()
        try:
            found = check.findings(item)
        except Exception as e:  # one bad row must not cost the whole run, nor hide which row it was
            found = [Finding("CHECK_FAILED", f"check {check.name!r} raised {type(e).__name__}: {e}")]
        stats.seconds += time.perf_counter() - t0
        dropped = any(f.severity == "error" for f in found)
        if dropped:
            stats.dropped += 1
        elif found:
            stats.warned += 1
        return found, dropped

    def run(self, item: Item) -> list[Finding]:
        """All findings for the item; the item is kept iff none has severity 'error'."""
        out: list[Finding] = []
        for check in self.checks:
            found, dropped = self._apply(check, item)
            for f in found:
                self.codes[f.code] += 1
            out.extend(found)
            if dropped:
                break
        return out

    def run_window(self, items: list[Item]) -> list[list[Finding]]:
        """``run`` of each item (same findings, counts and order), taken check by check so that each
        check's ``prepare`` gets the window's items that reach it. Keep windows short (``WINDOW``)."""
        out: list[list[Finding]] = [[] for _ in items]
        live = list(range(len(items)))  # items not dropped yet, in input order
        for check in self.checks:
            if not live:
                break
            t0 = time.perf_counter()
            try:
                check.prepare([items[i] for i in live])
            except Exception:  # prepare only warms caches: findings below meets (and reports) the same fault per row
                pass
            self.stats[check.name].seconds += time.perf_counter() - t0
            survivors = []
            for i in live:
                found, dropped = self._apply(check, items[i])
                out[i].extend(found)
                if not dropped:
                    survivors.append(i)
            live = survivors
        for found in out:  # counted in item order, as ``run`` does, so ties in ``codes`` order the same
            for f in found:
                self.codes[f.code] += 1
        return out

    def close(self) -> None:
        for check in self.checks:
            check.close()
