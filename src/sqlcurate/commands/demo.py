"""`sqlcurate demo`: the whole path on the bundled demo workspace, one real command per stage.

Each stage runs as its own `sqlcurate` process, exactly as a user would type it (the commands are
printed first), because the embedded ClickHouse engine is one per process and each stage opens it
afresh. Seeding builds a DEX-trading warehouse in an embedded ClickHouse (chdb) and runs an analyst
query history through it, so the query log that `pull` reads is real. The base model, its tokenizer and
the eval set are package data (``sqlcurate.demo.workspace.demo_assets``): the demo runs from any directory.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import click

from sqlcurate.demo.workspace import DEMO_TRAINING, DemoAssets, demo_assets
from sqlcurate.workspace import Workspace

SEED = "from pathlib import Path; import sys; from sqlcurate.demo.workspace import seed_workspace; w = seed_workspace(Path(sys.argv[1])); print(f'seeded {w.workspace}: {w.queries_run} analyst queries, {w.log_rows} query_log rows')"
# the closing summary: the SQL metrics that show whether curation and training did anything
SUMMARY_METRICS = {"has_sql": "answered with SQL", "parses": "parses as ClickHouse",
                   "dialect_clean": "no dialect violation", "grounded": "grounded in catalog",
                   "engine_ok": "accepted by engine", "exec_match": "execution accuracy"}


def stages(ws: Path, assets: DemoAssets, epochs: int, max_tokens: int) -> list[tuple[str, list[str]]]:
    """(title, argv) for every stage; argv[0] is 'sqlcurate' or 'python'."""
    layout = Workspace(ws)
    curated, schemas = layout.curated_dir, layout.schemas_dir
    sft_root = ws / "nanochat"
    train_flags = [f"--{k.replace('_', '-')}={v}" for k, v in dict(DEMO_TRAINING, epochs=epochs).items()]
    return [
        ("seed the demo warehouse", ["python", "-c", SEED, str(ws)]),
        ("pull the query log and catalog", ["sqlcurate", "pull", "clickhouse", "--profile", str(layout.profile("demo")), "--workspace", str(ws)]),
        ("pull the docs", ["sqlcurate", "pull", "docs", str(layout.docs_dir), "--workspace", str(ws)]),
        ("build conversations", ["sqlcurate", "build", "--workspace", str(ws), "--engine", "chdb"]),
        ("validate the training file", ["sqlcurate", "validate", str(curated / "train.jsonl"), "--catalog", str(schemas), "--engine", "chdb", "--redact", "--tokenizer", str(assets.tokenizer), "--max-tokens", "1024"]),
        ("token statistics", ["sqlcurate", "stats", str(curated / "train.jsonl"), "--tokenizer", str(assets.tokenizer), "--histogram", str(ws / "train_tokens.png")]),
        ("fine-tune the toy d2 base model", ["sqlcurate", "train", "--data", str(curated / "train.jsonl"), "--val", str(curated / "val.jsonl"), "--base", str(assets.base_checkpoint), "--out", str(sft_root), *train_flags]),
        ("evaluate base vs fine-tuned on held-out questions", ["sqlcurate", "eval", "--checkpoint", str(assets.base_checkpoint), "--checkpoint", str(sft_root), "--source", "sft", "--label", "base (toy d2)", "--label", "fine-tuned (toy d2)", "--data", str(assets.eval_set), "--catalog", str(schemas), "--workspace", str(ws), "--max-tokens", str(max_tokens), "--out", str(ws / "eval.json"), "--chart", str(ws / "eval.png")]),
    ]


def closing_summary(report: dict) -> list[str]:
    """Base vs fine-tuned on the SQL metrics, labelled for what it is: a toy model."""
    base, tuned = (run["totals"] for run in report["runs"])
    items = base["items"]
    lines = [f"What fine-tuning changed, on {items} held-out demo questions (a TOY model: nanochat d2, 2 layers, "
             "128 wide, pre-trained 7 steps; it shows that curation and training move the metrics, not what a "
             "real d20-d34 model reaches):",
             f"  {'metric':<24}{'base':>8}{'fine-tuned':>12}"]
    for key, label in SUMMARY_METRICS.items():
        lines.append(f"  {label:<24}{base[key]['count']:>8}{tuned[key]['count']:>12}")
    return lines


@click.command()
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=Path(".work/demo"), show_default=True, help="Where the demo warehouse, pulled data, curated files and checkpoints go.")
@click.option("--epochs", type=click.IntRange(min=1), default=DEMO_TRAINING["epochs"], show_default=True)
@click.option("--max-tokens", type=click.IntRange(min=1), default=96, show_default=True, help="Tokens generated per eval answer.")
@click.option("--skip-train", is_flag=True, help="Stop after the data stages (no torch needed).")
def demo(workspace: Path, epochs: int, max_tokens: int, skip_train: bool) -> None:
    """Run pull -> build -> validate -> stats -> train -> eval on the bundled demo workspace."""
    ws = workspace.resolve()
    started = time.monotonic()
    with demo_assets() as assets:
        todo = stages(ws, assets, epochs, max_tokens)[: 6 if skip_train else None]
        for i, (title, argv) in enumerate(todo, 1):
            click.secho(f"\n[{i}/{len(todo)}] {title}", bold=True, err=True)
            click.echo("$ " + shlex.join(argv), err=True)
            exe = [sys.executable, "-m", "sqlcurate", *argv[1:]] if argv[0] == "sqlcurate" else [sys.executable, *argv[1:]]
            t0 = time.monotonic()
            rc = subprocess.run(exe).returncode
            # validate exits 1 when it found problems; the demo data must be clean, so any non-zero stops.
            if rc != 0:
                raise click.ClickException(f"stage '{title}' exited {rc}; stopping (see its output above)")
            click.echo(f"  ({time.monotonic() - t0:.1f}s)", err=True)
    if not skip_train:
        click.echo("\n" + "\n".join(closing_summary(json.loads((ws / "eval.json").read_text()))))
    click.secho(f"\ndemo finished in {time.monotonic() - started:.0f}s; everything is under {ws}", bold=True, err=True)
