"""`sqlcurate redact IN OUT`: replace secrets and personal data with typed placeholders.

Reads any input format (``--from``, per-line detection by default), redacts each conversation
(``sqlcurate.sql.redact``: SQL-aware, placeholders consistent within a conversation), and writes OUT
atomically. Unreadable or invalid lines go, with their reason codes, to the quarantine file beside OUT
(``OUT.rejected.jsonl``, their raw text redacted as prose), so rows in = rows out + rows quarantined.
Prints the counts per kind.

Exit codes: 0 written and nothing quarantined; 1 written, some lines quarantined; 2 usage or I/O error.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click

from sqlcurate.conversation import SystemPolicy
from sqlcurate.fileio import InputOverwriteError, refuse_overwrite
from sqlcurate.formats.lines import FileLevelError
from sqlcurate.formats.readers import INPUT_FORMATS, read_file
from sqlcurate.formats.writers import OUTPUT_FORMATS, JsonlLog, SystemRejected, open_writer, sidecar_path
from sqlcurate.sql.redact import KINDS, Placeholders, apply, find_in_text, redact_conversation


def _output_format(requested: str, output: Path, first_read_as: str) -> str:
    """``auto``: Parquet for a ``.parquet`` OUT; else nanochat if the rows came as nanochat, else messages
    JSONL (which keeps every other format's provenance)."""
    if requested != "auto":
        return requested
    if output.suffix == ".parquet":
        return "parquet"
    return "nanochat" if first_read_as == "nanochat" else "messages"


@click.command(name="redact")
@click.argument("input_path", metavar="IN", type=click.Path(path_type=Path))
@click.argument("output_path", metavar="OUT", type=click.Path(path_type=Path))
@click.option("--from", "from_", type=click.Choice(INPUT_FORMATS), default="auto", show_default=True,
              help="Input format (auto: Parquet for a .parquet file, else detected per line).")
@click.option("--to", "to", type=click.Choice(("auto", *OUTPUT_FORMATS)), default="auto", show_default=True,
              help="Output format (auto: Parquet for a .parquet OUT; nanochat rows stay nanochat; else messages).")
@click.option("--system", type=click.Choice([p.value for p in SystemPolicy]), default="merge", show_default=True,
              help="nanochat output: what to do with a leading system message.")
@click.option("--dialect", default="clickhouse", show_default=True, help="Dialect used to tokenize SQL spans.")
@click.option("--format", "report_format", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="How the summary is printed.")
def redact(input_path: Path, output_path: Path, from_: str, to: str, system: str, dialect: str, report_format: str) -> None:
    """Redact IN into OUT: emails, wallets, tx hashes, keys and tokens, IPs, phones, card numbers."""
    rejected_path = sidecar_path(output_path, "rejected")
    try:
        for target in (output_path, rejected_path):
            refuse_overwrite(target, [input_path])
        records = read_file(input_path, from_)  # `auto` reads a .parquet file as Parquet
        summary = _run(records, input_path, output_path, rejected_path, to, SystemPolicy(system), dialect)
    except (InputOverwriteError, FileLevelError, OSError) as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    if report_format == "json":
        click.echo(json.dumps(summary, indent=1))
    else:
        click.echo(f"{summary['rows_in']} rows in: {summary['rows_out']} written to {output_path}"
                   + (f", {summary['quarantined']} quarantined to {rejected_path}" if summary["quarantined"] else "")
                   + (f", {summary['blank']} blank" if summary["blank"] else ""))
        click.echo(f"{summary['conversations_redacted']} conversations redacted, {sum(summary['redacted'].values())} replacements")
        for kind in KINDS:
            if summary["redacted"].get(kind):
                click.echo(f"  {kind:<15} {summary['redacted'][kind]}")
    sys.exit(1 if summary["quarantined"] else 0)


def _run(records, input_path: Path, output_path: Path, rejected_path: Path, to: str,
         system: SystemPolicy, dialect: str) -> dict:
    counts: Counter[str] = Counter()
    rows_in = rows_out = blank = changed = 0
    writer = None
    quarantine = JsonlLog(rejected_path, inputs=[input_path])
    try:
        for rec in records:
            if rec.blank:
                blank += 1
                continue
            rows_in += 1
            errors = [f for f in rec.findings if f.severity == "error"]
            if rec.conversation is None or errors:
                _quarantine(quarantine, rec, errors or rec.findings)
                continue
            conv, found = redact_conversation(rec.conversation, dialect)
            counts.update(found)
            changed += bool(found)
            if writer is None:
                writer = open_writer(output_path, _output_format(to, output_path, rec.read_as), system, inputs=[input_path])
            try:
                writer.write(conv)
            except SystemRejected as e:
                from sqlcurate.findings import Finding

                _quarantine(quarantine, rec, [Finding("SYSTEM_REJECTED", str(e) or "system message under --system reject")])
                continue
            rows_out += 1
        if writer is None:  # no readable row: still write an (empty) output, so OUT always exists on success
            writer = open_writer(output_path, _output_format(to, output_path, ""), system, inputs=[input_path])
    except BaseException:
        quarantine.abort()
        if writer is not None:
            writer.abort()
        raise
    writer.close()
    if quarantine.count:
        quarantine.close()
    else:
        quarantine.abort()
        rejected_path.unlink(missing_ok=True)  # a stale quarantine from an earlier run would mislead
    assert rows_in == rows_out + quarantine.count, "every row is written or quarantined"
    return {"input": str(input_path), "output": str(output_path), "rows_in": rows_in, "rows_out": rows_out,
            "quarantined": quarantine.count, "blank": blank, "conversations_redacted": changed,
            "redacted": {k: counts[k] for k in KINDS if counts[k]}}


def _quarantine(log: JsonlLog, rec, findings) -> None:
    for f in findings:
        click.echo(f.render(rec.source, rec.line), err=True)
    # The quarantine keeps the line for a human to fix, but this command's promise is that no secret
    # leaves it: the raw text is redacted as prose too.
    raw = apply(rec.raw, find_in_text(rec.raw), Placeholders())
    log.add({"source": rec.source, "line": rec.line, "codes": [f.code for f in findings],
             "messages": [f.message for f in findings], "raw": raw})
