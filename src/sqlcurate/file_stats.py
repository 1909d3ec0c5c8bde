"""What a conversation file holds, in rows, turns, characters, sources and tokens (`sqlcurate stats`).

One streaming pass. Per-source counts come from ``meta["source"]`` (the nanochat file's ``.meta.jsonl``
sidecar, or the provenance a messages/Parquet file carries). With a tokenizer every row is rendered the
way nanochat's SFT renders it, so token counts, the trained (assistant) share and the rows over common
context lengths are exactly what training will see. Only one int per row is kept (for percentiles), so
memory stays small for millions of rows. See docs/stats.md.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlcurate.conversation import SystemPolicy
from sqlcurate.errors import SqlcurateError
from sqlcurate.formats.lines import DEFAULT_MAX_LINE_BYTES, FileLevelError
from sqlcurate.formats.readers import read_file

CODES = {
    "STATS_UNREADABLE": "the conversation file, its meta sidecar or the tokenizer cannot be read",
}

CONTEXT_LENGTHS = (512, 1024, 2048)
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


@dataclass
class FileStats:
    summary: dict[str, Any]  # what `sqlcurate stats --format json` prints
    token_counts: array | None  # tokens per conversation, sorted (with a tokenizer only)


def collect(path: str | Path, fmt: str = "auto", tokenizer_dir: str | Path | None = None) -> FileStats:
    """One streaming pass over a conversation file. Raises SqlcurateError when the file or the tokenizer
    cannot be read (rows that fail the contract are counted, not raised)."""
    path = Path(path)
    try:
        return _collect(path, fmt, _tokenizer(tokenizer_dir))
    except FileLevelError as e:
        raise SqlcurateError(e.code, f"{e.path}: {e.message}") from None
    except OSError as e:
        raise SqlcurateError("STATS_UNREADABLE", f"{e.filename or path}: {e.strerror or e}") from None


def _tokenizer(tokenizer_dir: str | Path | None):
    if tokenizer_dir is None:
        return None
    from nanochat.tokenizer import Tokenizer

    try:
        return Tokenizer.from_directory(Path(tokenizer_dir))
    except (OSError, ValueError) as e:  # a missing or refused tokenizer.pkl
        raise SqlcurateError("STATS_UNREADABLE", f"{tokenizer_dir}: cannot load the tokenizer: {e}") from None


def _collect(path: Path, fmt: str, tokenizer) -> FileStats:
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
        return FileStats(out, ordered)
    return FileStats(out, None)


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
