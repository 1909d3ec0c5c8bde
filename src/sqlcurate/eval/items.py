"""Eval items: a question (the conversation up to its last user turn) and the gold SQL (from the final
assistant turn), read by the project's readers from any file a user trains on (nanochat JSONL,
``{"messages": [...]}``, ShareGPT, Alpaca, our Parquet).

A line that cannot serve as an item (bad JSON, broken conversation, no SQL in the answer) is an error
with its line number; an eval over a silently shortened set would be a wrong number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from sqlcurate.conversation import Conversation, check_messages
from sqlcurate.errors import SqlcurateError
from sqlcurate.findings import Finding
from sqlcurate.formats.lines import FileLevelError
from sqlcurate.formats.readers import read_file
from sqlcurate.sql.extract import extract_sql
from sqlcurate.sql.transpile import TranspileError, guarded_parse_one

CODES = {
    "EVAL_ITEM_NO_GOLD": "the final assistant turn of an eval line holds no SQL to use as gold",
}


@dataclass(frozen=True)
class EvalItem:
    id: str  # "<file name>:<line>", stable across runs of the same file
    source: str
    line: int
    prompt: tuple[dict[str, str], ...]  # messages up to and including the last user turn
    gold_sql: str
    reference_answer: str  # the whole gold assistant turn, for reports
    gold_ordered: bool  # the gold query orders its result, so row order is compared too

    @property
    def question(self) -> str:
        return self.prompt[-1]["content"]


class EvalDataError(SqlcurateError, ValueError):
    """Raised with every diagnostic line (``path:line: CODE message``) of a file that has bad lines;
    ``code`` is the first bad line's, so a script can branch on it."""

    def __init__(self, code: str, diagnostics: list[str]):
        super().__init__(code, "\n".join(diagnostics))
        self.diagnostics = diagnostics

    def render(self) -> str:
        return f"error: {self.message}"  # each line already names its code


def query_orders(sql: str) -> bool:
    """True if the query's outermost result is ordered (a top-level ORDER BY, also after UNION)."""
    try:
        tree = guarded_parse_one(sql, "clickhouse")
    except TranspileError:
        return "order by" in sql.lower()  # gold queries parse; this is only a conservative fallback
    return isinstance(tree, exp.Query) and tree.args.get("order") is not None


def item_from_messages(messages: list[dict[str, str]], source: str, line: int) -> tuple[EvalItem | None, list[Finding]]:
    conv, findings = check_messages(messages)
    if conv is None:
        return None, findings
    return item_from_conversation(conv, source, line)


def item_from_conversation(conv: Conversation, source: str, line: int) -> tuple[EvalItem | None, list[Finding]]:
    msgs = conv.as_messages()
    answer = msgs[-1]["content"]
    spans = extract_sql(answer, len(msgs) - 1)
    if not spans:
        return None, [Finding("EVAL_ITEM_NO_GOLD", "the final assistant turn holds no SQL (expected a ```sql fence)")]
    item = EvalItem(id=f"{Path(source).name}:{line}", source=source, line=line, prompt=tuple(msgs[:-1]),
                    gold_sql=spans[0].sql, reference_answer=answer, gold_ordered=query_orders(spans[0].sql))
    return item, []


def load_items(path: str | Path, limit: int | None = None) -> list[EvalItem]:
    """All items of a conversation file (format detected per line; .parquet as Parquet); raises
    EvalDataError listing every bad line."""
    path = Path(path)
    items: list[EvalItem] = []
    diagnostics: list[str] = []
    first_code = ""
    try:
        for rec in read_file(path, "parquet" if path.suffix == ".parquet" else "auto"):
            if rec.blank:
                continue
            findings = rec.findings
            if rec.conversation is not None:
                item, findings = item_from_conversation(rec.conversation, str(path), rec.line)
                if item is not None:
                    items.append(item)
            errors = [f for f in findings if f.severity == "error"]
            first_code = first_code or (errors[0].code if errors else "")
            diagnostics.extend(f.render(str(path), rec.line) for f in errors)
            if limit is not None and len(items) >= limit:
                break
    except FileLevelError as e:
        raise EvalDataError(e.code, [str(e)]) from None
    if diagnostics:
        raise EvalDataError(first_code, diagnostics)
    return items
