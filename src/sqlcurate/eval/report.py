"""Totals, the side-by-side table, the JSON report and the bar chart of one or more eval runs.

A run is one answer source (a checkpoint or an answers file) scored on the same items; comparing runs in
one table (base vs SFT) is the point, so every function takes a list of runs.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlcurate.eval.items import EvalItem
from sqlcurate.eval.scoring import Verdict
from sqlcurate.eval.stats import wilson_interval
from sqlcurate.fileio import atomic_open

# verdict attribute -> row label, in pipeline order
METRICS = {
    "has_sql": "answered with SQL",
    "parses": "parses as ClickHouse",
    "dialect_clean": "no dialect violation",
    "grounded": "grounded in catalog",
    "engine_ok": "accepted by engine",
    "exec_match": "execution accuracy",
}


@dataclass
class Run:
    label: str
    source: str  # checkpoint directory or answers file
    verdicts: list[Verdict] = field(default_factory=list)
    seconds: float = 0.0  # generation + scoring wall time
    meta: dict = field(default_factory=dict)


def totals(run: Run) -> dict:
    """Per metric: count, rate and 95 % Wilson interval over all items (None where never measured)."""
    n = len(run.verdicts)
    out: dict = {"items": n, "outcomes": dict(Counter(v.outcome for v in run.verdicts).most_common())}
    for attr in METRICS:
        values = [getattr(v, attr) for v in run.verdicts]
        if n == 0 or all(x is None for x in values):
            out[attr] = None
            continue
        hits = sum(1 for x in values if x is True)
        lo, hi = wilson_interval(hits, n)
        out[attr] = {"count": hits, "rate": hits / n, "ci95": [lo, hi]}
    return out


@dataclass
class RetentionResult:
    label: str
    file: str
    n: int
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    def to_json(self) -> dict:
        lo, hi = wilson_interval(self.correct, self.n)
        return {"label": self.label, "file": self.file, "items": self.n, "correct": self.correct,
                "accuracy": self.accuracy, "ci95": [lo, hi]}


def report_json(runs: list[Run], retention: list[RetentionResult], settings: dict,
                items: list[EvalItem] | None = None) -> dict:
    """The whole report; with ``items``, the questions and gold queries too (so it can be read alone)."""
    return {
        "settings": settings,
        "items": [{"id": it.id, "question": it.question, "gold_sql": it.gold_sql} for it in items or []],
        "runs": [{"label": r.label, "source": r.source, "seconds": round(r.seconds, 3), "meta": r.meta,
                  "totals": totals(r), "items": [v.to_json() for v in r.verdicts]} for r in runs],
        "retention": [r.to_json() for r in retention],
    }


def write_json(path: Path, report: dict) -> None:
    with atomic_open(Path(path)) as fh:
        json.dump(report, fh, indent=2, default=str)
        fh.write("\n")


def _cell(metric: dict | None) -> str:
    if metric is None:
        return "-"
    lo, hi = metric["ci95"]
    return f"{metric['count']} ({100 * metric['rate']:.1f}%)  [{100 * lo:.0f}-{100 * hi:.0f}]"


def comparison_table(runs: list[Run], retention: list[RetentionResult]):
    """One rich Table: a row per metric, a column per run, and a change column for exactly two runs."""
    from rich.table import Table

    table = Table(title="SQL eval (count, rate, 95% CI)")
    table.add_column("metric")
    for r in runs:
        table.add_column(r.label, justify="right")
    delta = len(runs) == 2
    if delta:
        table.add_column("change", justify="right")
    all_totals = [totals(r) for r in runs]
    table.add_row("items", *[str(t["items"]) for t in all_totals], *([""] if delta else []))
    for attr, label in METRICS.items():
        cells = [_cell(t[attr]) for t in all_totals]
        if delta:
            a, b = all_totals[0][attr], all_totals[1][attr]
            cells.append(f"{100 * (b['rate'] - a['rate']):+.1f} pts" if a and b else "-")
        table.add_row(label, *cells)
    for file in dict.fromkeys(res.file for res in retention):  # a row per file, a cell per run
        by_label = {res.label: res for res in retention if res.file == file}
        cells = []
        for r in runs:
            res = by_label.get(r.label)
            if res is None:
                cells.append("-")
                continue
            lo, hi = wilson_interval(res.correct, res.n)
            cells.append(f"{res.correct}/{res.n} ({100 * res.accuracy:.1f}%)  [{100 * lo:.0f}-{100 * hi:.0f}]")
        if delta:
            a, b = (by_label.get(r.label) for r in runs)
            cells.append(f"{100 * (b.accuracy - a.accuracy):+.1f} pts" if a and b else "-")
        table.add_row(f"retention: {Path(file).name}", *cells)
    return table


def outcome_table(runs: list[Run]):
    """Per item: the outcome of each run (first failed gate), so regressions are easy to find."""
    from rich.table import Table

    table = Table(title="per item outcome")
    table.add_column("item")
    for r in runs:
        table.add_column(r.label)
    for i, v in enumerate(runs[0].verdicts):
        table.add_row(v.item_id, *[r.verdicts[i].outcome.removeprefix("EVAL_") for r in runs])
    return table


def bar_chart(runs: list[Run], path: Path) -> None:
    """Grouped bars: a group per metric, a bar per run (rates in %, 95 % CI as error bars)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    labels = [METRICS[m] for m in METRICS]
    width = 0.8 / max(1, len(runs))
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for k, r in enumerate(runs):
        t = totals(r)
        rates = [100 * t[m]["rate"] if t[m] else 0.0 for m in METRICS]
        # max(0, ...): at 0/n and n/n the interval edge equals the rate up to rounding
        err_lo = [max(0.0, 100 * (t[m]["rate"] - t[m]["ci95"][0])) if t[m] else 0.0 for m in METRICS]
        err_hi = [max(0.0, 100 * (t[m]["ci95"][1] - t[m]["rate"])) if t[m] else 0.0 for m in METRICS]
        xs = [i + (k - (len(runs) - 1) / 2) * width for i in range(len(labels))]
        ax.bar(xs, rates, width, label=r.label, yerr=[err_lo, err_hi], capsize=3, ecolor="0.35")
        for x, rate, m in zip(xs, rates, METRICS, strict=True):  # the value at the foot of each bar
            ax.text(x, 1.5, f"{rate:.0f}" if t[m] else "n/a", ha="center", va="bottom", fontsize=7, color="white" if rate > 8 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
    ax.set_ylabel("% of items")
    ax.set_ylim(0, 118)  # room for the legend above the 100 % line
    ax.set_title(f"SQL eval on {len(runs[0].verdicts)} items" if runs else "SQL eval")
    ax.legend(loc="upper center", ncol=max(1, len(runs)), frameon=False)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)  # atomic, like every other writer
