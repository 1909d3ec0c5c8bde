"""``sqlcurate eval``: SQL quality of one or more checkpoints (or pre-generated answers) on ClickHouse,
side by side, plus multiple-choice retention. The eval itself is ``sqlcurate.eval.evaluate``; this
command reads options and prints."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sqlcurate.eval.evaluate import EvalResult, EvalSettings, evaluate


def _print(result: EvalResult, show_items: bool) -> None:
    from rich.console import Console

    from sqlcurate.eval.report import comparison_table, outcome_table
    from sqlcurate.output import diagnostics

    console = Console(width=None if sys.stdout.isatty() else 160)  # logs and pipes: do not wrap at 80
    s = result.settings
    click.echo(f"data: {s['data']}  catalog: {s['catalog']}  engine: {result.engine}  items: {len(result.items)}")
    console.print(comparison_table(result.runs, result.retention))
    if show_items and result.items:
        console.print(outcome_table(result.runs))
        # why each item failed, as `path:line: CODE message` diagnostics
        diagnostics(f"[{run.label}] {finding.render(item.source, item.line)}" for run in result.runs
                    for item, verdict in zip(result.items, run.verdicts, strict=True) for finding in verdict.findings)


@click.command("eval")
@click.option("--checkpoint", "checkpoints", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="A checkpoint (model_NNNNNN.pt, a run directory, or a NANOCHAT_BASE_DIR). Repeat to compare.")
@click.option("--answers", "answer_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Pre-generated answers (JSONL, one per item) to score instead of generating. Repeatable.")
@click.option("--label", "labels", multiple=True, help="Names for the runs, in order (checkpoints first, then answers).")
@click.option("--source", type=click.Choice(["sft", "base", "mid", "rl"]), default="sft", show_default=True,
              help="Which phase's checkpoints a base directory is searched for.")
@click.option("--tokenizer", "tokenizer_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Tokenizer directory (default: the nearest tokenizer/ above the checkpoint, else $NANOCHAT_BASE_DIR's).")
@click.option("--data", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Eval conversations (any input format: nanochat, messages, ShareGPT, Alpaca, Parquet): question = last user turn, gold = SQL of the assistant turn.")
@click.option("--catalog", type=click.Path(exists=True, path_type=Path), help="Schema DDL directory/file or catalog.json.")
@click.option("--engine", type=click.Choice(["chdb", "none"]), default="chdb", show_default=True,
              help="Check queries on the embedded ClickHouse engine, or static checks only.")
@click.option("--workspace", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A workspace whose engine already holds the tables and rows (e.g. from `sqlcurate demo`).")
@click.option("--sample-data", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A directory of <database>.<table>.{csv,tsv,jsonl,parquet} files to run queries on.")
@click.option("--retention", "retention_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Multiple-choice file (MMLU/ARC layout, .parquet or .jsonl) for a retention score. Repeatable.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the full report as JSON.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), help="Write a bar chart PNG of the totals.")
@click.option("--timeout-s", type=click.FloatRange(min=0.01), default=5.0, show_default=True,
              help="Per-query execution limit (ClickHouse max_execution_time).")
@click.option("--max-rows", type=click.IntRange(min=1), default=100_000, show_default=True, help="Result row limit per query.")
@click.option("--max-tokens", type=click.IntRange(min=1), default=256, show_default=True, help="Tokens to generate per answer.")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True, help="Prompts per generation batch (and retention items per forward pass).")
@click.option("--temperature", type=click.FloatRange(min=0.0), default=0.0, show_default=True, help="0 = greedy.")
@click.option("--top-k", type=click.IntRange(min=1), default=None, help="Sample from the k most likely tokens.")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N items (each file).")
@click.option("--device", default=None, help="cpu, cuda or mps (default: autodetect).")
@click.option("--items/--no-items", "show_items", default=False,
              help="Also print each item's outcome per run and its findings as path:line: CODE message.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="json: the whole report (as --out writes it) on stdout instead of the table.")
def eval_(checkpoints, answer_files, labels, data, catalog, retention_files, out, chart, show_items, output_format,
          **settings):
    """Score SQL answers of checkpoints or answer files on ClickHouse, side by side.

    For each item: answered with SQL, parses as ClickHouse, dialect violations, grounded in the catalog,
    accepted by the engine, and (with --workspace or --sample-data) execution accuracy against the gold
    query. Exit 0 when the eval ran, 1 when a gold query failed on the sample data, 2 on usage errors.
    """
    from sqlcurate.errors import SqlcurateError
    from sqlcurate.eval.report import bar_chart, write_json
    from sqlcurate.fileio import InputOverwriteError, refuse_overwrite
    from sqlcurate.output import info

    for path in (p for p in (out, chart) if p is not None):  # before an hour of generation, not after
        try:
            refuse_overwrite(path, [p for p in (data, *answer_files, *retention_files) if p is not None])
        except InputOverwriteError as e:
            raise SqlcurateError("EVAL_USAGE", str(e)) from None
    result = evaluate(checkpoints, answer_files, data=data, catalog=catalog, labels=labels, retention=retention_files,
                      settings=EvalSettings(**settings), log=info)
    report = result.to_json()
    if output_format == "json":
        click.echo(json.dumps(report, indent=2, default=str))
    else:
        _print(result, show_items)
    if out is not None:
        write_json(out, report)
        info(f"report: {out}")
    if chart is not None and result.items:
        bar_chart(result.runs, chart)
        info(f"chart: {chart}")
    failures = result.gold_failures()
    for item, reason in failures:
        click.echo(f"{item.source}:{item.line}: EVAL_GOLD_FAILED {reason}", err=True)
    if failures:
        sys.exit(1)
