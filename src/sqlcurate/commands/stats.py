"""`sqlcurate stats FILE`: what a conversation file holds, in rows, turns, characters, sources and tokens.

One streaming pass. Per-source counts come from ``meta["source"]`` (the nanochat file's ``.meta.jsonl``
sidecar, or the provenance a messages/Parquet file carries). With ``--tokenizer`` every row is rendered the
way nanochat's SFT renders it, so token counts, the trained (assistant) share and the rows over common
context lengths are exactly what training will see. Only one int per row is kept (for percentiles), so
memory stays small for millions of rows. See docs/stats.md.
"""

from __future__ import annotations

import json
import re
import sys
from array import array
from bisect import bisect_right
from collections import Counter
from pathlib import Path
from typing import Any

import click

from sqlcurate.conversation import SystemPolicy
from sqlcurate.formats.lines import DEFAULT_MAX_LINE_BYTES, FileLevelError
from sqlcurate.formats.readers import INPUT_FORMATS, read_file

CONTEXT_LENGTHS = (512, 1024, 2048)
TABLE_TOP = 10  # sources/tasks shown in the table (the JSON has all)
_LINE_SUFFIX = re.compile(r":\d+$")  # "docs/kb.md:120" counts under "docs/kb.md": per file, not per section
PERCENTILES = (50, 90, 99)


def _sql_detector():
    """``extract_from_conversation`` when the SQL module is installed, else None (the share is left out)."""
    try:
        from sqlcurate.sql.extract import extract_from_conversation
    except ImportError:
        return None
    return extract_from_conversation


def percentile(sorted_values: array, p: float) -> int:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return 0
    rank = max(1, -(-len(sorted_values) * p // 100))
    return int(sorted_values[int(rank) - 1])


def collect(path: Path, fmt: str, tokenizer_dir: Path | None) -> dict[str, Any]:
    tokenizer = None
    if tokenizer_dir is not None:
        from nanochat.tokenizer import Tokenizer

        tokenizer = Tokenizer.from_directory(tokenizer_dir)
    find_sql = _sql_detector()
    rows = bad = blank = turns = chars = with_system = with_sql = trained_total = 0
    sources: Counter[str] = Counter()
    tasks: Counter[str] = Counter()
    tokens = array("l")
    for record in read_file(path, fmt, DEFAULT_MAX_LINE_BYTES):
        if record.blank:
            blank += 1
            continue
        conversation = record.conversation
        if conversation is None:
            bad += 1
            continue
        rows += 1
        messages = conversation.messages
        with_system += messages[0].role == "system"
        turns += sum(m.role != "system" for m in messages)
        chars += sum(len(m.content) for m in messages)
        meta = conversation.meta
        sources[_LINE_SUFFIX.sub("", str(meta.get("source", "(none)")))] += 1
        tasks[str(meta.get("task", "(none)"))] += 1
        if find_sql is not None and find_sql(conversation):
            with_sql += 1
        if tokenizer is not None:
            ids, mask = tokenizer.render_conversation(conversation.as_nanochat(SystemPolicy.MERGE), max_tokens=None)
            tokens.append(len(ids))
            trained_total += sum(mask)
    out: dict[str, Any] = {
        "file": str(path), "rows": rows, "unreadable_rows": bad, "blank_lines": blank,
        "turns": turns, "mean_turns": round(turns / rows, 2) if rows else 0.0,
        "chars": chars, "mean_chars": round(chars / rows, 1) if rows else 0.0,
        "with_system_message": with_system, "sources": dict(sources.most_common()),
        "tasks": dict(tasks.most_common()),
        "sql_share": round(with_sql / rows, 4) if find_sql is not None and rows else None,
    }
    if tokenizer is not None:
        ordered = array("l", sorted(tokens))
        total = sum(ordered)
        out["tokens"] = {
            "total": total, "trained": trained_total,
            "trained_share": round(trained_total / total, 4) if total else 0.0,
            "mean": round(total / len(ordered), 1) if ordered else 0.0,
            **{f"p{p}": percentile(ordered, p) for p in PERCENTILES},
            "max": ordered[-1] if ordered else 0,
            "over": {str(n): len(ordered) - bisect_right(ordered, n) for n in CONTEXT_LENGTHS},
        }
        out["_token_counts"] = ordered
    return out


def histogram(token_counts: array, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    from sqlcurate.fileio import atomic_open

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(token_counts, bins=60, color="#4477aa")
    for n in (n for n in CONTEXT_LENGTHS if n <= max(token_counts, default=0) * 1.2):  # marks inside the data only
        ax.axvline(n, color="#cc3311", linestyle="--", linewidth=1)
        ax.text(n, ax.get_ylim()[1] * 0.95, f" {n}", color="#cc3311", fontsize=8)
    ax.set_xlabel("tokens per conversation (as nanochat renders it)")
    ax.set_ylabel("conversations")
    ax.set_title(f"{len(token_counts):,} conversations")
    fig.tight_layout()
    with atomic_open(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)


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
@click.pass_context
def stats(ctx: click.Context, file: Path, from_: str, tokenizer: Path | None, histogram_path: Path | None,
          output_format: str) -> None:
    """Counts, sources and token statistics of a conversation FILE (rows that fail the contract are counted,
    not described: `sqlcurate validate` says why)."""
    if histogram_path is not None and tokenizer is None:
        raise click.UsageError("--histogram needs --tokenizer")
    try:
        data = collect(file, from_, tokenizer)
    except FileLevelError as e:
        click.echo(f"error: {e}", err=True)
        ctx.exit(2)
    except (OSError, ValueError) as e:  # an unreadable tokenizer or meta sidecar
        click.echo(f"error: {e}", err=True)
        ctx.exit(2)
    counts = data.pop("_token_counts", None)
    if histogram_path is not None:
        histogram(counts, histogram_path)
        data["histogram"] = str(histogram_path)
    if output_format == "json":
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        print_table(data)
        if histogram_path is not None:
            click.echo(f"histogram: {histogram_path}")
