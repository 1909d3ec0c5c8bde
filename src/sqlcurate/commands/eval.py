"""``sqlcurate eval``: SQL quality of one or more checkpoints (or pre-generated answers) on ClickHouse,
side by side, plus multiple-choice retention."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from sqlcurate.eval.items import EvalDataError, EvalItem, load_items

CODES = {
    "EVAL_ANSWERS_MISMATCH": "an answers file does not have one usable answer per eval item",
}


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(2)


def _answer_of(value) -> str | None:
    """An answer from one line of an answers file: a string, {"answer": ...}, or a conversation whose
    last assistant turn is the answer."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("answer"), str):
        return value["answer"]
    messages = value.get("messages") if isinstance(value, dict) else value
    if isinstance(messages, list) and messages and isinstance(messages[-1], dict) \
            and messages[-1].get("role") == "assistant" and isinstance(messages[-1].get("content"), str):
        return messages[-1]["content"]
    return None


def read_answers(path: Path, items: list[EvalItem]) -> list[str]:
    """One answer per item, in item order (lines may carry "id" to be matched instead)."""
    by_position: list[str] = []
    by_id: dict[str, str] = {}
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as e:
            _fail(f"{path}:{lineno}: EVAL_ANSWERS_MISMATCH invalid JSON: {e.msg}")
        answer = _answer_of(value)
        if answer is None:
            _fail(f"{path}:{lineno}: EVAL_ANSWERS_MISMATCH expected a string, {{\"answer\": ...}} or a conversation ending with the assistant")
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            by_id[value["id"]] = answer
        by_position.append(answer)
    if by_id:
        missing = [it.id for it in items if it.id not in by_id]
        if missing:
            _fail(f"{path}:0: EVAL_ANSWERS_MISMATCH no answer for item(s) {', '.join(missing[:5])}")
        return [by_id[it.id] for it in items]
    if len(by_position) != len(items):
        _fail(f"{path}:0: EVAL_ANSWERS_MISMATCH {len(by_position)} answers for {len(items)} eval items")
    return by_position


def _unique_labels(labels: list[str]) -> list[str]:
    out = []
    for i, label in enumerate(labels):
        out.append(label if labels.count(label) == 1 else f"{label}#{i + 1}")
    return out


def _open_engine(workspace: Path | None, sample_data: Path | None, catalog, want_engine: bool):
    """(client or None, description). The workspace's engine directory is used as it is; sample data
    is loaded into a private engine directory of this process."""
    if not want_engine:
        return None, "none"
    from sqlcurate.sql.engine_conn import EngineError, engine_client

    try:
        if workspace is not None:
            engine_dir = workspace / "engine" if (workspace / "engine").is_dir() else workspace
            return engine_client(engine_dir), f"chdb workspace {engine_dir}"
        client = engine_client()
    except EngineError as e:
        _fail(f"Error: {e}")
    if sample_data is not None:
        from sqlcurate.eval.sampledata import SampleDataError, load_sample_data

        try:
            loaded = load_sample_data(client, catalog, sample_data)
        except SampleDataError as e:
            _fail(str(e))
        return client, f"chdb with sample data {sample_data} ({sum(t.rows for t in loaded)} rows in {len(loaded)} tables)"
    return client, "chdb (no sample data: EXPLAIN only)"


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
@click.option("--engine", "engine_kind", type=click.Choice(["chdb", "none"]), default="chdb", show_default=True,
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
def eval_(checkpoints, answer_files, labels, source, tokenizer_dir, data, catalog, engine_kind, workspace, sample_data,
          retention_files, out, chart, timeout_s, max_rows, max_tokens, batch_size, temperature, top_k, seed, limit, device,
          show_items):
    """Score SQL answers of checkpoints or answer files on ClickHouse, side by side.

    For each item: answered with SQL, parses as ClickHouse, dialect violations, grounded in the catalog,
    accepted by the engine, and (with --workspace or --sample-data) execution accuracy against the gold
    query. Exit 0 when the eval ran, 1 when a gold query failed on the sample data, 2 on usage errors.
    """
    from rich.console import Console

    from sqlcurate.eval.report import Run, bar_chart, comparison_table, outcome_table, report_json, write_json

    if not checkpoints and not answer_files:
        _fail("Error: give at least one --checkpoint or --answers")
    if data is None and not retention_files:
        _fail("Error: give --data (SQL eval items) and/or --retention (multiple-choice file)")
    if data is not None and catalog is None:
        _fail("Error: --data needs --catalog (the schema answers are grounded against)")
    if workspace is not None and sample_data is not None:
        _fail("Error: give --workspace or --sample-data, not both")
    if (workspace or sample_data) and engine_kind == "none":
        _fail("Error: --workspace/--sample-data need --engine chdb")
    if retention_files and not checkpoints:
        _fail("Error: --retention needs a --checkpoint (answer files have no logits)")
    for path in (out, chart):
        if path is not None:
            from sqlcurate.fileio import InputOverwriteError, refuse_overwrite

            try:
                refuse_overwrite(path, [p for p in (data, *answer_files, *retention_files) if p is not None])
            except InputOverwriteError as e:
                _fail(str(e))

    items: list[EvalItem] = []
    scorer = None
    engine_desc = "none"
    if data is not None:
        try:
            items = load_items(data, limit)
        except EvalDataError as e:
            _fail(str(e))
        except OSError as e:
            _fail(f"{data}:0: cannot read: {e}")
        from sqlcurate.eval.runner import QueryRunner
        from sqlcurate.eval.scoring import Scorer
        from sqlcurate.sql.catalog import CatalogError, load_catalog

        try:
            cat = load_catalog(catalog)
        except CatalogError as e:
            _fail(str(e))
        client, engine_desc = _open_engine(workspace, sample_data, cat, engine_kind == "chdb")
        executes = client is not None and (workspace is not None or sample_data is not None)
        from sqlcurate.eval.explain import make_engine_check

        scorer = Scorer(cat,
                        engine_check=make_engine_check(cat, executes, timeout_s) if client is not None else None,
                        runner=QueryRunner(timeout_s=timeout_s, max_rows=max_rows) if executes else None)

    names = list(labels) + [None] * (len(checkpoints) + len(answer_files) - len(labels))
    if len(labels) > len(checkpoints) + len(answer_files):
        _fail("Error: more --label values than runs")
    # read answer files before any generation, so a bad file fails in a second, not after an hour
    answers = [read_answers(f, items) if items else [] for f in answer_files]
    err = Console(stderr=True)
    runs: list[Run] = []
    retention_pairs = []  # (index of the run, result): labels are final only after all runs
    for i, ckpt in enumerate(checkpoints):
        from nanochat.checkpoint import IncompatibleCheckpoint
        from sqlcurate.eval.generate import Generator, load_for_inference

        try:
            loaded = load_for_inference(ckpt, source=source, device=device, tokenizer_dir=tokenizer_dir)
        except (FileNotFoundError, IncompatibleCheckpoint) as e:
            _fail(f"Error: {e}")
        label = names[i] or loaded.label
        err.print(f"[bold]{label}[/]: {loaded.directory} step {loaded.step} ({loaded.reason})")
        run = Run(label, str(loaded.directory), meta={"step": loaded.step, "reason": loaded.reason})
        t0 = time.perf_counter()
        if items:
            t_gen = time.perf_counter()
            gens = Generator(loaded).answer_batch([list(it.prompt) for it in items], batch_size=batch_size,
                                                  max_tokens=max_tokens, temperature=temperature, top_k=top_k, seed=seed)
            run.meta["generated_tokens"] = sum(g.new_tokens for g in gens)
            run.meta["generation_seconds"] = round(time.perf_counter() - t_gen, 3)
            for item, g in zip(items, gens, strict=True):
                run.verdicts.append(scorer.score(item, g.texts[0]))
        for rfile in retention_files:
            retention_pairs.append((len(runs), _retention(loaded, rfile, label, limit, batch_size)))
        run.seconds = time.perf_counter() - t0
        runs.append(run)
    for j, afile in enumerate(answer_files):
        label = names[len(checkpoints) + j] or afile.stem
        run = Run(label, str(afile))
        t0 = time.perf_counter()
        for item, answer in zip(items, answers[j], strict=True):
            run.verdicts.append(scorer.score(item, answer))
        run.seconds = time.perf_counter() - t0
        runs.append(run)

    for run, label in zip(runs, _unique_labels([r.label for r in runs]), strict=True):
        run.label = label
    retention = []
    for index, res in retention_pairs:
        res.label = runs[index].label
        retention.append(res)
    console = Console(width=None if sys.stdout.isatty() else 160)  # logs and pipes: do not wrap at 80
    click.echo(f"data: {data}  catalog: {catalog}  engine: {engine_desc}  items: {len(items)}")
    console.print(comparison_table(runs, retention))
    if show_items and items:
        console.print(outcome_table(runs))
        for run in runs:  # why each item failed, as `path:line: CODE message` diagnostics
            for item, verdict in zip(items, run.verdicts, strict=True):
                for finding in verdict.findings:
                    click.echo(f"[{run.label}] {finding.render(item.source, item.line)}")
    settings = {"data": str(data) if data else None, "catalog": str(catalog) if catalog else None, "engine": engine_desc,
                "timeout_s": timeout_s, "max_rows": max_rows, "max_tokens": max_tokens, "temperature": temperature,
                "top_k": top_k, "seed": seed, "limit": limit}
    if out is not None:
        write_json(out, report_json(runs, retention, settings, items))
        click.echo(f"report: {out}")
    if chart is not None and items:
        bar_chart(runs, chart)
        click.echo(f"chart: {chart}")
    gold_failed = {v.item_id for r in runs for v in r.verdicts if v.outcome == "EVAL_GOLD_FAILED"}
    if gold_failed:
        for item in items:
            if item.id in gold_failed:
                msg = next(f.message for r in runs for v in r.verdicts if v.item_id == item.id for f in v.findings
                           if f.code == "EVAL_GOLD_FAILED")
                click.echo(f"{item.source}:{item.line}: EVAL_GOLD_FAILED {msg}", err=True)
        sys.exit(1)


def _retention(loaded, path: Path, label: str, limit: int | None, batch_size: int):
    from sqlcurate.eval.report import RetentionResult
    from sqlcurate.eval.retention import MCDataError, load_mc, score_mc

    try:
        mc = load_mc(path, limit)
    except MCDataError as e:
        _fail(str(e))
    correct, _ = score_mc(loaded.model, loaded.tokenizer, mc, batch_size)
    return RetentionResult(label, str(path), len(mc), correct)
