"""One eval: load the items and the catalog, open the engine, answer (or read answers) and score every run,
score retention, and hand back everything a report needs. ``sqlcurate eval`` and ``sqlcurate.evaluate``
are both this function; neither prints or writes here.

Inputs are checked before any model is loaded, so a bad answers file or a wrong catalog fails in a second,
not after an hour of generation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlcurate.errors import LocatedError, SqlcurateError

if TYPE_CHECKING:  # the modules below load sqlglot; `import sqlcurate` must not
    from sqlcurate.eval.items import EvalItem
    from sqlcurate.eval.report import RetentionResult, Run

CODES = {
    "EVAL_ANSWERS_MISMATCH": "an answers file does not have one usable answer per eval item",
    "EVAL_USAGE": "an eval was asked for without runs, without items, or with inputs that do not go together",
}


@dataclass(frozen=True)
class EvalSettings:
    """Every knob of an eval besides its inputs, with the CLI's defaults."""

    source: str = "sft"  # which phase's checkpoints a base directory is searched for
    tokenizer_dir: Path | None = None
    engine: str = "chdb"  # "chdb" or "none" (static checks only)
    workspace: Path | None = None  # an engine directory that already holds the tables and rows
    sample_data: Path | None = None  # <database>.<table>.{csv,tsv,jsonl,parquet} files to load
    timeout_s: float = 5.0
    max_rows: int = 100_000
    max_tokens: int = 256
    batch_size: int = 8
    temperature: float = 0.0
    top_k: int | None = None
    seed: int = 42
    limit: int | None = None
    device: str | None = None


@dataclass
class EvalResult:
    items: list[EvalItem]
    runs: list[Run]
    retention: list[RetentionResult]
    engine: str  # which engine scored the runs, in words
    settings: dict = field(default_factory=dict)

    def gold_failures(self) -> list[tuple[EvalItem, str]]:
        """Items whose gold query failed on the data (the eval set needs fixing), with the engine's reason."""
        reasons: dict[str, str] = {}
        for run in self.runs:
            for verdict in run.verdicts:
                for finding in verdict.findings:
                    if finding.code == "EVAL_GOLD_FAILED":
                        reasons.setdefault(verdict.item_id, finding.message)
        return [(item, reasons[item.id]) for item in self.items if item.id in reasons]

    def to_json(self) -> dict:
        from sqlcurate.eval.report import report_json

        return report_json(self.runs, self.retention, self.settings, self.items)


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
    def mismatch(line: int, reason: str) -> LocatedError:
        return LocatedError("EVAL_ANSWERS_MISMATCH", path, line, reason)

    by_position: list[str] = []
    by_id: dict[str, str] = {}
    for lineno, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as e:
            raise mismatch(lineno, f"invalid JSON: {e.msg}") from None
        answer = _answer_of(value)
        if answer is None:
            raise mismatch(lineno, "expected a string, {\"answer\": ...} or a conversation ending with the assistant")
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            by_id[value["id"]] = answer
        by_position.append(answer)
    if by_id:
        missing = [it.id for it in items if it.id not in by_id]
        if missing:
            raise mismatch(0, f"no answer for item(s) {', '.join(missing[:5])}")
        return [by_id[it.id] for it in items]
    if len(by_position) != len(items):
        raise mismatch(0, f"{len(by_position)} answers for {len(items)} eval items")
    return by_position


def _check_inputs(checkpoints, answers, labels, data, catalog, retention, s: EvalSettings) -> None:
    problems = [
        (not checkpoints and not answers, "give at least one --checkpoint or --answers"),
        (data is None and not retention, "give --data (SQL eval items) and/or --retention (multiple-choice file)"),
        (data is not None and catalog is None, "--data needs --catalog (the schema answers are grounded against)"),
        (s.workspace is not None and s.sample_data is not None, "give --workspace or --sample-data, not both"),
        ((s.workspace or s.sample_data) and s.engine == "none", "--workspace/--sample-data need --engine chdb"),
        (retention and not checkpoints, "--retention needs a --checkpoint (answer files have no logits)"),
        (len(labels) > len(checkpoints) + len(answers), "more --label values than runs"),
    ]
    for failed, message in problems:
        if failed:
            raise SqlcurateError("EVAL_USAGE", message)


def _open_engine(s: EvalSettings, catalog) -> tuple[object | None, str]:
    """(sandbox or None, description). The SQL under test runs in a sandbox process that owns the engine
    (``sqlcurate.sql.sandbox``): the workspace's engine directory as it is, or a private one that the
    sample data is loaded into. Queries may read the catalog's databases only."""
    if s.engine == "none":
        return None, "none"
    from sqlcurate.eval.sampledata import load_sample_data
    from sqlcurate.sql.sandbox import Sandbox, TrustedClient
    from sqlcurate.workspace import Workspace

    databases = {t.database for t in catalog}
    if s.workspace is not None:
        engine_dir = Workspace(s.workspace).engine_dir_or_root()
        return Sandbox(engine_dir, databases=databases), f"chdb workspace {engine_dir}"
    sandbox = Sandbox(databases=databases)
    if s.sample_data is None:
        return sandbox, "chdb (no sample data: EXPLAIN only)"
    loaded = load_sample_data(TrustedClient(sandbox), catalog, s.sample_data)
    return sandbox, f"chdb with sample data {s.sample_data} ({sum(t.rows for t in loaded)} rows in {len(loaded)} tables)"


def _scorer(catalog_path: Path, s: EvalSettings):
    from sqlcurate.eval.explain import make_engine_check
    from sqlcurate.eval.runner import QueryRunner
    from sqlcurate.eval.scoring import Scorer
    from sqlcurate.sql.catalog import load_catalog

    catalog = load_catalog(catalog_path)
    sandbox, engine_desc = _open_engine(s, catalog)
    executes = sandbox is not None and (s.workspace is not None or s.sample_data is not None)
    runner = QueryRunner(timeout_s=s.timeout_s, max_rows=s.max_rows, sandbox=sandbox) if executes else None
    scorer = Scorer(catalog, runner=runner,
                    engine_check=make_engine_check(catalog, executes, s.timeout_s, runner) if sandbox is not None else None)
    return scorer, engine_desc


def load_checkpoint(checkpoint: str | Path | None, **options):
    """``load_for_inference`` for eval and chat: a missing, foreign or refused checkpoint or tokenizer is
    already a SqlcurateError there (one line, exit 2 from the CLI)."""
    from sqlcurate.eval.generate import load_for_inference

    return load_for_inference(checkpoint, **options)


def _unique_labels(labels: list[str]) -> list[str]:
    return [label if labels.count(label) == 1 else f"{label}#{i + 1}" for i, label in enumerate(labels)]


def _checkpoint_run(path: Path, label: str | None, items, scorer, retention_files, s: EvalSettings,
                    log: Callable[[str], None]) -> tuple[Run, list[RetentionResult]]:
    from sqlcurate.eval.generate import Generator
    from sqlcurate.eval.report import RetentionResult, Run
    from sqlcurate.eval.retention import load_mc, score_mc

    loaded = load_checkpoint(path, source=s.source, device=s.device, tokenizer_dir=s.tokenizer_dir)
    label = label or loaded.label
    log(f"{label}: {loaded.directory} step {loaded.step} ({loaded.reason})")
    run = Run(label, str(loaded.directory), meta={"step": loaded.step, "reason": loaded.reason})
    t0 = time.perf_counter()
    if items:
        gens = Generator(loaded).answer_batch([list(it.prompt) for it in items], batch_size=s.batch_size,
                                              max_tokens=s.max_tokens, temperature=s.temperature, top_k=s.top_k, seed=s.seed)
        run.meta["generated_tokens"] = sum(g.new_tokens for g in gens)
        run.meta["generation_seconds"] = round(time.perf_counter() - t0, 3)
        run.verdicts = [scorer.score(item, g.texts[0]) for item, g in zip(items, gens, strict=True)]
    retention = []
    for rfile in retention_files:
        mc = load_mc(rfile, s.limit)
        correct, _ = score_mc(loaded.model, loaded.tokenizer, mc, s.batch_size)
        retention.append(RetentionResult(label, str(rfile), len(mc), correct))
    run.seconds = time.perf_counter() - t0
    return run, retention


def evaluate(checkpoints: Sequence[str | Path] = (), answers: Sequence[str | Path] = (), *,
             data: str | Path | None = None, catalog: str | Path | None = None, labels: Sequence[str] = (),
             retention: Sequence[str | Path] = (), settings: EvalSettings | None = None,
             log: Callable[[str], None] = lambda line: None) -> EvalResult:
    """Score SQL answers of checkpoints and/or answers files on the same eval items, side by side.

    ``labels`` name the runs in order (checkpoints first, then answers files); ``retention`` adds a
    multiple-choice score per checkpoint. ``log`` receives one progress line per loaded checkpoint.
    Raises ``SqlcurateError`` (a bad input, an impossible combination) before any generation starts.
    """
    from sqlcurate.eval.items import load_items
    from sqlcurate.eval.report import Run

    s = settings or EvalSettings()
    checkpoints, answers, labels = [Path(p) for p in checkpoints], [Path(p) for p in answers], list(labels)
    retention = [Path(p) for p in retention]
    data = Path(data) if data is not None else None
    _check_inputs(checkpoints, answers, labels, data, catalog, retention, s)
    items: list[EvalItem] = []
    scorer, engine_desc = None, "none"
    if data is not None:
        try:
            items = load_items(data, s.limit)
        except OSError as e:
            raise LocatedError("EVAL_USAGE", data, 0, f"cannot read: {e.strerror or e}") from None
        scorer, engine_desc = _scorer(Path(catalog), s)
    given_answers = [read_answers(f, items) if items else [] for f in answers]
    names = labels + [None] * (len(checkpoints) + len(answers) - len(labels))

    runs: list[Run] = []
    retention_results: list[tuple[int, RetentionResult]] = []  # labels are final only after all runs
    for i, ckpt in enumerate(checkpoints):
        run, scores = _checkpoint_run(ckpt, names[i], items, scorer, retention, s, log)
        retention_results += [(len(runs), r) for r in scores]
        runs.append(run)
    for j, (afile, texts) in enumerate(zip(answers, given_answers, strict=True)):
        run = Run(names[len(checkpoints) + j] or afile.stem, str(afile))
        t0 = time.perf_counter()
        run.verdicts = [scorer.score(item, text) for item, text in zip(items, texts, strict=True)]
        run.seconds = time.perf_counter() - t0
        runs.append(run)
    for run, label in zip(runs, _unique_labels([r.label for r in runs]), strict=True):
        run.label = label
    for index, result in retention_results:
        result.label = runs[index].label
    report_settings = {"data": str(data) if data else None, "catalog": str(catalog) if catalog else None,
                       "engine": engine_desc, **{k: v for k, v in asdict(s).items()
                                                 if k in ("timeout_s", "max_rows", "max_tokens", "temperature",
                                                          "top_k", "seed", "limit")}}
    return EvalResult(items, runs, [r for _, r in retention_results], engine_desc, report_settings)
