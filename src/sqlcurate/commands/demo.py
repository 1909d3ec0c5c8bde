"""`sqlcurate demo`: the whole path on the bundled demo workspace, one real command per stage.

Each stage runs as its own `sqlcurate` process, exactly as a user would type it (the commands are
printed first), because the embedded ClickHouse engine is one per process and each stage opens it
afresh. Seeding builds a DEX-trading warehouse in an embedded ClickHouse (chdb) and runs an analyst
query history through it, so the query log that `pull` reads is real.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

import click

REPO = Path(__file__).resolve().parents[3]
DEMO_BASE = REPO / "demo" / "nanochat_base"  # nanochat v1 tokenizer + d2 base checkpoint (real v1 files)
DEMO_EVAL = REPO / "demo" / "eval" / "dex_eval.jsonl"

SEED = "from pathlib import Path; import sys; from sqlcurate.demo.workspace import seed_workspace; w = seed_workspace(Path(sys.argv[1])); print(f'seeded {w.workspace}: {w.queries_run} analyst queries, {w.log_rows} query_log rows')"


def stages(ws: Path, epochs: int, max_tokens: int) -> list[tuple[str, list[str]]]:
    """(title, argv) for every stage; argv[0] is 'sqlcurate' or 'python'."""
    curated, schemas = ws / "training_data" / "curated", ws / "schemas"
    sft_root = ws / "nanochat"
    return [
        ("seed the demo warehouse", ["python", "-c", SEED, str(ws)]),
        ("pull the query log and catalog", ["sqlcurate", "pull", "clickhouse", "--profile", str(ws / "connectors" / "demo.toml"), "--workspace", str(ws)]),
        ("pull the docs", ["sqlcurate", "pull", "docs", str(ws / "docs"), "--workspace", str(ws)]),
        ("build conversations", ["sqlcurate", "build", "--workspace", str(ws), "--engine", "chdb"]),
        ("validate the training file", ["sqlcurate", "validate", str(curated / "train.jsonl"), "--catalog", str(schemas), "--engine", "chdb", "--redact", "--tokenizer", str(DEMO_BASE / "tokenizer"), "--max-tokens", "1024"]),
        ("token statistics", ["sqlcurate", "stats", str(curated / "train.jsonl"), "--tokenizer", str(DEMO_BASE / "tokenizer"), "--histogram", str(ws / "train_tokens.png")]),
        ("fine-tune the d2 base model", ["sqlcurate", "train", "--data", str(curated / "train.jsonl"), "--val", str(curated / "val.jsonl"), "--base", str(DEMO_BASE), "--out", str(sft_root), "--epochs", str(epochs), "--max-seq-len", "1024", "--target-batch-tokens", "2048"]),
        ("evaluate base vs fine-tuned", ["sqlcurate", "eval", "--checkpoint", str(DEMO_BASE / "base_checkpoints" / "d2"), "--checkpoint", str(sft_root), "--source", "sft", "--label", "base", "--label", "sft", "--data", str(DEMO_EVAL), "--catalog", str(schemas), "--workspace", str(ws), "--max-tokens", str(max_tokens), "--out", str(ws / "eval.json"), "--chart", str(ws / "eval.png")]),
    ]


@click.command()
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=Path(".work/demo"), show_default=True, help="Where the demo warehouse, pulled data, curated files and checkpoints go.")
@click.option("--epochs", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--max-tokens", type=click.IntRange(min=1), default=96, show_default=True, help="Tokens generated per eval answer.")
@click.option("--skip-train", is_flag=True, help="Stop after the data stages (no torch needed).")
def demo(workspace: Path, epochs: int, max_tokens: int, skip_train: bool) -> None:
    """Run pull -> build -> validate -> stats -> train -> eval on the bundled demo workspace."""
    ws = workspace.resolve()
    todo = stages(ws, epochs, max_tokens)
    if skip_train:
        todo = todo[:6]
    started = time.monotonic()
    for i, (title, argv) in enumerate(todo, 1):
        click.secho(f"\n[{i}/{len(todo)}] {title}", bold=True, err=True)
        click.echo("$ " + shlex.join(argv), err=True)
        exe = [sys.executable, "-m", "sqlcurate", *argv[1:]] if argv[0] == "sqlcurate" else [sys.executable, *argv[1:]]
        t0 = time.monotonic()
        rc = subprocess.run(exe, cwd=REPO).returncode
        # validate exits 1 when it found problems; the demo data must be clean, so any non-zero stops.
        if rc != 0:
            raise click.ClickException(f"stage '{title}' exited {rc}; stopping (see its output above)")
        click.echo(f"  ({time.monotonic() - t0:.1f}s)", err=True)
    click.secho(f"\ndemo finished in {time.monotonic() - started:.0f}s; everything is under {ws}", bold=True, err=True)
