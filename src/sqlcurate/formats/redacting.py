"""``sqlcurate redact``'s run: the shared pipeline with the redaction check fixing every row, a quarantine
whose raw rows are redacted as prose too (no secret leaves through it), and counts per kind.

The output format follows the input unless asked: Parquet for a ``.parquet`` OUT; nanochat when the rows came
as nanochat; else messages JSONL (which keeps every other format's provenance).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from sqlcurate.checks.base import CheckRunner
from sqlcurate.checks.redaction import RedactionCheck
from sqlcurate.formats.pipeline import Job, Outputs, Summary, build_checks, execute
from sqlcurate.formats.readers import read_file
from sqlcurate.formats.sources import is_stdin
from sqlcurate.sql.redact import KINDS, Placeholders, apply, find_in_text


def redact_prose(raw: str) -> str:
    return apply(raw, find_in_text(raw), Placeholders())


def auto_output_format(job: Job) -> str:
    """Parquet for a .parquet OUT; nanochat if the first row of a regular input file reads as nanochat; else messages."""
    if job.out is not None and Path(job.out).suffix == ".parquet":
        return "parquet"
    if job.fmt == "nanochat":
        return "nanochat"
    source = job.inputs[0]
    if job.fmt != "auto" or is_stdin(source) or not Path(source).is_file():  # a stream is read once, by the run
        return "messages"
    first = next((r for r in read_file(Path(source), "auto", job.max_line_bytes, job.read) if not r.blank), None)
    return "nanochat" if first is not None and first.read_as == "nanochat" else "messages"


def summary_of(summary: Summary, check: RedactionCheck, paths: dict[str, str]) -> dict:
    return {"input": summary.files[0], "output": paths.get("output"), "rows_in": summary.lines - summary.blank,
            "rows_out": summary.kept, "quarantined": summary.quarantined, "blank": summary.blank,
            "conversations_redacted": check.conversations_redacted,
            "redacted": {k: check.replaced[k] for k in KINDS if check.replaced[k]}}


def run_redact(job: Job, to: str, dialect: str) -> int:
    """Redact ``job.inputs[0]`` into ``job.out``; returns 0, or 1 when rows were quarantined."""
    check = RedactionCheck(fix=True, dialect=dialect)
    job.to = auto_output_format(job) if to == "auto" else to
    job.changes = False
    checks = [*build_checks(to=job.to, system=job.system), check]

    def quarantine_redacted(outputs: Outputs) -> None:
        outputs.raw_text = redact_prose
        if outputs.rejected is not None:
            outputs.rejected.keep_empty = False

    def report(summary: Summary, runner: CheckRunner, paths: dict[str, str], stream: TextIO) -> None:
        data = summary_of(summary, check, paths)
        if job.output_format == "json":
            stream.write(json.dumps(data, indent=1) + "\n")
            return
        stream.write(f"{data['rows_in']} rows in: {data['rows_out']} written to {job.out}"
                     + (f", {data['quarantined']} quarantined to {paths['rejected']}" if data["quarantined"] else "")
                     + (f", {data['blank']} blank" if data["blank"] else "") + "\n")
        stream.write(f"{data['conversations_redacted']} conversations redacted, "
                     f"{sum(data['redacted'].values())} replacements\n")
        for kind, n in data["redacted"].items():
            stream.write(f"  {kind:<15} {n}\n")

    summary = execute(job, CheckRunner(checks), quarantine_redacted, report)
    return 1 if summary.quarantined else 0
