"""How ``convert`` and ``validate`` report a run: a rich table for people, one JSON object for machines."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from sqlcurate.checks.base import CheckRunner
from sqlcurate.formats.pipeline import Summary


def known_codes(runner: CheckRunner | None = None) -> dict[str, str]:
    """Code -> meaning for every code this run could raise (reader, contract, and the checks in use)."""
    from sqlcurate import conversation
    from sqlcurate.checks import base
    from sqlcurate.formats import lines, readers, sources

    out = {**conversation.CODES, **lines.CODES, **readers.CODES, **sources.CODES, **base.CODES}
    for check in runner.checks if runner else []:
        out.update(check.CODES)
    return out


def _read_dropped(summary: Summary, runner: CheckRunner) -> int:
    """Rows the reader quarantined (bad JSON, format, contract): all quarantined rows minus the checks' drops."""
    return summary.quarantined - sum(s.dropped for s in runner.stats.values())


def _read_seconds(summary: Summary, runner: CheckRunner) -> float:
    return summary.seconds - sum(s.seconds for s in runner.stats.values())


def summary_dict(summary: Summary, runner: CheckRunner | None = None, outputs: dict[str, str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "files": summary.files,
        "lines": summary.lines,
        "blank": summary.blank,
        "rows": summary.lines - summary.blank,
        "kept": summary.kept,
        "quarantined": summary.quarantined,
        "changed": summary.changed,
        "read_as": dict(summary.read_as.most_common()),
        "codes": {code: {"count": n, "severity": summary.severities.get(code, "error")}
                  for code, n in summary.codes.most_common()},
        "seconds": round(summary.seconds, 3),
        "exit_code": summary.exit_code,
    }
    if runner is not None:
        data["checks"] = {name: {"seen": s.seen, "dropped": s.dropped, "warned": s.warned, "seconds": round(s.seconds, 3)}
                          for name, s in runner.stats.items()}
        data["read"] = {"seen": summary.lines - summary.blank, "dropped": _read_dropped(summary, runner),
                        "seconds": round(_read_seconds(summary, runner), 3)}
    if outputs:
        data["outputs"] = outputs
    return data


def print_json(data: dict[str, Any], stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(json.dumps(data, indent=2) + "\n")


def print_tables(summary: Summary, runner: CheckRunner | None = None, outputs: dict[str, str] | None = None,
                 stream: TextIO | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream or sys.stdout)
    rows = summary.lines - summary.blank
    totals = Table(title="rows", show_header=False)
    totals.add_column(justify="left")
    totals.add_column(justify="right")
    for label, value in (("lines read", summary.lines), ("blank lines (skipped)", summary.blank),
                         ("conversation rows", rows), ("kept", summary.kept),
                         ("quarantined", summary.quarantined), ("changed by fixes", summary.changed)):
        totals.add_row(label, f"{value:,}")
    for fmt, n in summary.read_as.most_common():
        totals.add_row(f"read as {fmt}", f"{n:,}")
    console.print(totals)
    if runner is not None and runner.checks:
        checks = Table(title="checks")
        for col in ("check", "seen", "dropped", "warned", "seconds"):
            checks.add_column(col, justify="left" if col == "check" else "right")
        checks.add_row("read + schema", f"{rows:,}", f"{_read_dropped(summary, runner):,}", "",
                       f"{_read_seconds(summary, runner):.2f}")
        for name, s in runner.stats.items():
            checks.add_row(name, f"{s.seen:,}", f"{s.dropped:,}", f"{s.warned:,}", f"{s.seconds:.2f}")
        console.print(checks)
    if summary.codes:
        meanings = known_codes(runner)
        codes = Table(title="findings by reason code")
        for col in ("code", "severity", "count", "meaning"):
            codes.add_column(col, justify="right" if col == "count" else "left")
        for code, n in summary.codes.most_common():
            codes.add_row(code, summary.severities.get(code, "error"), f"{n:,}", meanings.get(code, ""))
        console.print(codes)
    for label, path in (outputs or {}).items():
        console.print(f"{label}: {path}", markup=False, highlight=False)
    console.print(f"{rows:,} rows = {summary.kept:,} kept + {summary.quarantined:,} quarantined "
                  f"in {summary.seconds:.2f}s" + ("" if summary.codes else "; no problems found"))
