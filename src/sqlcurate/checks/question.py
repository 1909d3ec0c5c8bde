"""Question quality: would an analyst have asked this?

The shape, identifier and length checks read the user turn's prose (fenced code taken out: "Rewrite
this BigQuery query for ClickHouse" carries its query in a fence, and that query is the point); the
same-question and near-duplicate comparisons read the whole turn, code included. The shapes below are
tables, so adding a phrasing is one line.

Most findings are warnings: the pair is *held for review* by ``sqlcurate build`` (left out of
``train.jsonl`` until a person accepts or edits it in ``sqlcurate review``). The one error is the same
question with a different answer: one question cannot teach two answers, so the later row is rejected
(first wins, as in dedupe). Stateful across items: one instance per build run.
"""

from __future__ import annotations

import re

from sqlcurate.checks.base import Check, Item
from sqlcurate.findings import Finding
from sqlcurate.sql.extract import extract_from_conversation
from sqlcurate.sql.fingerprint import fingerprint

CODES = {
    "QUESTION_SQL_SHAPED": "the question reads as a query specification (a column list, 'grouped by', 'write a query'), not a question",
    "QUESTION_IDENTIFIER": "the question holds an identifier an analyst would not type (a snake_case column, a function call, backticks)",
    "QUESTION_TOO_SHORT": "the question has fewer words than MIN_WORDS",
    "QUESTION_TOO_LONG": "the question's prose is longer than MAX_WORDS words",
    "QUESTION_AMBIGUOUS": "nearly the same question as an earlier row (same words up to order, stop words, plurals) with a different SQL answer",
    "QUESTION_CONFLICT": "the same question as an earlier row with a different answer",
}
SEVERITY = {"QUESTION_CONFLICT": "error"}  # every other code is a warning: held for review

# what gives a question away as a specification written from the SQL -> pattern (case-insensitive)
SQL_SHAPES = {
    "'write a query'": r"\b(?:write|give me|generate|produce)\s+(?:a|an|the)\s+(?:\w+\s+)?(?:sql\s+)?query\b",
    "a column list": r"\breturning\s+[\w.()]+(?:\s*,\s*[\w.()]+)+",
    "'grouped by'": r"\bgroup(?:ed)?\s+by\b",
    "'ordered by'": r"\border(?:ed)?\s+by\b",
    "'limited to N rows'": r"\blimit(?:ed)?\s+to\s+\d+\s+rows\b",
    "a SELECT": r"^\s*select\b",
    "a WHERE clause": r"\bwhere\s+[\w.]+\s*(?:=|!=|<>|<=|>=|<|>|\bin\b|\blike\b)",
}
# names as a query writes them, not as a person asks -> pattern (a dotted db.table name is allowed:
# analysts do type the tables they browse); checked only when the answer is SQL
IDENTIFIER_SHAPES = {
    "snake_case name": r"(?<![\w.`])[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+(?![\w.])",
    "function call": r"\b[A-Za-z_]\w*\([^()\s]*[^()]*\)",
    "backticked name": r"`[^`\n]+`",
}
MIN_WORDS = 3
MAX_WORDS = 60
STOP_WORDS = frozenset(
    "a an the of in on for to by per at from with and or is are was were be do does did what which how "
    "much many show me list give get find each every all our we i you it its that this there".split())

_FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
_WORD = re.compile(r"[a-z0-9]+(?:[._][a-z0-9]+)*")
_SQL_SHAPES = {name: re.compile(p, re.I | re.M) for name, p in SQL_SHAPES.items()}
_IDENTIFIER_SHAPES = {name: re.compile(p) for name, p in IDENTIFIER_SHAPES.items()}


def prose(text: str) -> str:
    """The text without fenced code blocks, whitespace collapsed."""
    return " ".join(_FENCE.sub(" ", text).split())


def same_question_key(text: str) -> str:
    """Case, spacing and punctuation folded (fenced code included: it is part of what is asked): two
    questions with this key are the same question."""
    return " ".join(_WORD.findall(text.lower()))


def content_words(text: str) -> frozenset[str]:
    """The question's content words, plurals folded: two questions with these equal ask nearly the same."""
    words = (w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS)
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


def quality_findings(question: str, asks_for_sql: bool = True) -> list[Finding]:
    """The findings about one question on its own (shape, identifiers, length): no state. Identifiers
    are only a fault when the answer is a query: "What does fee_bps in dex.pools mean?" names the column
    the analyst is looking at, "Sum fees_usd by day" names one the answer should have found."""
    text = prose(question)
    out = []
    if shapes := [name for name, p in _SQL_SHAPES.items() if p.search(text)]:
        out.append(Finding("QUESTION_SQL_SHAPED", f"reads as a query specification: {', '.join(shapes)}", "warning"))
    found = [(name, m.group(0)) for name, p in _IDENTIFIER_SHAPES.items() for m in p.finditer(text)] if asks_for_sql else []
    if found:
        shown = ", ".join(f"{name} {text!r}" for name, text in found[:3])
        out.append(Finding("QUESTION_IDENTIFIER", f"an analyst would not type: {shown}", "warning"))
    words = len(text.split())
    if words < MIN_WORDS:
        out.append(Finding("QUESTION_TOO_SHORT", f"{words} word(s), fewer than {MIN_WORDS}", "warning"))
    elif words > MAX_WORDS:
        out.append(Finding("QUESTION_TOO_LONG", f"{words} words, more than {MAX_WORDS}", "warning"))
    return out


class QuestionCheck(Check):
    name = "question"
    CODES = CODES

    def __init__(self) -> None:
        self.questions: dict[str, tuple[tuple, int]] = {}  # same-question key -> (answer key, line)
        self.near: dict[frozenset[str], tuple[tuple, int]] = {}  # content words -> (SQL templates, line)

    def findings(self, item: Item) -> list[Finding]:
        conv = item.conversation
        user = [m.content for m in conv.messages if m.role == "user"]
        if not user:
            return []
        question = user[0]
        answer = _answer_key(item)
        key = same_question_key(question)
        if key in self.questions and self.questions[key][0] != answer:
            return [Finding("QUESTION_CONFLICT", f"same question as row {self.questions[key][1]}, with a different answer",
                            SEVERITY["QUESTION_CONFLICT"])]
        sql = answer if answer[0] == "sql" else None
        out = quality_findings(question, asks_for_sql=sql is not None)
        words = content_words(question)
        if sql and words and words in self.near:
            earlier, line = self.near[words]
            if earlier != sql and key not in self.questions:
                out.append(Finding("QUESTION_AMBIGUOUS", f"nearly the same question as row {line}, with different SQL", "warning"))
        self.questions.setdefault(key, (answer, item.line))
        if sql and words:
            self.near.setdefault(words, (sql, item.line))
        return out


def _answer_key(item: Item) -> tuple:
    """What the conversation answers: its SQL templates, else its assistant text (spacing folded)."""
    templates = tuple(fingerprint(s.sql) for s in extract_from_conversation(item.conversation))
    if templates:
        return ("sql", *templates)
    return ("text", " ".join(" ".join(m.content.split()) for m in item.conversation.messages if m.role == "assistant"))
