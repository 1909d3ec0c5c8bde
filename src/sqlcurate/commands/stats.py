"""`sqlcurate stats FILE`: counts, sources and token statistics of a conversation file (the work is
``sqlcurate.file_stats``; this prints it). See docs/stats.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from sqlcurate.file_stats import PERCENTILES, collect, histogram
from sqlcurate.formats.readers import INPUT_FORMATS
from sqlcurate.output import info

TABLE_TOP = 10  # sources/tasks shown in the table (the JSON has all)


def print_table(data: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=data["file"], show_header=False)
    table.add_column()
    table.add_column(justify="right")
    for key in ("rows", "unreadable_rows", "blank_lines", "turns", "mean_turns", "chars", "mean_chars",
                "with_system_message"):
        table.add_row(key.replace("_", " "), f"{data[key]:,}")
    if data["sql_share"] is not None:
        table.add_row("rows with SQL", f"{data['sql_share']:.1%}")
    for kind in ("sources", "tasks"):
        counts = list(data[kind].items())
        for name, n in counts[:TABLE_TOP]:
            table.add_row(f"{kind[:-1]} {name}", f"{n:,}")
        if len(counts) > TABLE_TOP:
            table.add_row(f"{kind[:-1]} ({len(counts) - TABLE_TOP} more)", f"{sum(n for _, n in counts[TABLE_TOP:]):,}")
    if "tokens" in data:
        tok = data["tokens"]
        for key in ("total", "trained", "mean", *(f"p{p}" for p in PERCENTILES), "max"):
            table.add_row(f"tokens {key}", f"{tok[key]:,}")
        table.add_row("trained share", f"{tok['trained_share']:.1%}")
        for n, count in tok["over"].items():
            table.add_row(f"rows over {n} tokens", f"{count:,}")
    Console().print(table)


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--from", "from_", type=click.Choice(INPUT_FORMATS), default="auto", show_default=True)
@click.option("--tokenizer", type=click.Path(path_type=Path), help="nanochat tokenizer directory: token statistics.")
@click.option("--histogram", "histogram_path", type=click.Path(path_type=Path), help="Write a token-length histogram PNG (needs --tokenizer).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
def stats(file: Path, from_: str, tokenizer: Path | None, histogram_path: Path | None,
          output_format: str) -> None:
    """Counts, sources and token statistics of a conversation FILE (rows that fail the contract are counted,
    not described: `sqlcurate validate` says why)."""
    if histogram_path is not None and tokenizer is None:
        raise click.UsageError("--histogram needs --tokenizer")
    result = collect(file, from_, tokenizer)
    data = result.summary
    if histogram_path is not None:
        histogram(result.token_counts, histogram_path)
        data["histogram"] = str(histogram_path)
    if output_format == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        print_table(data)
        if histogram_path is not None:
            info(f"histogram: {histogram_path}")
