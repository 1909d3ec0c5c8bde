"""The question quality check: one test per reason code, and the questions it must leave alone."""

from __future__ import annotations

import pytest

from sqlcurate.checks.base import CheckRunner, Item
from sqlcurate.checks.question import CODES, SEVERITY, QuestionCheck
from sqlcurate.conversation import Conversation, Message


def item(question, answer="```sql\nSELECT count() FROM dex.swaps\n```", line=1):
    conv = Conversation(messages=[Message(role="user", content=question), Message(role="assistant", content=answer)],
                        meta={"task": "query_log"})
    return Item(conversation=conv, source="t", line=line)


def codes(question, answer="```sql\nSELECT count() FROM dex.swaps\n```"):
    return [f.code for f in QuestionCheck().findings(item(question, answer))]


@pytest.mark.parametrize("question", [
    "Write a ClickHouse query over dex.wallets, returning label, wallets, grouped by label, ordered by wallets DESC.",
    "give me a query that counts swaps",
    "wallet count per label, group by label",
    "SELECT label, count() FROM dex.wallets",
    "swaps where chain = 'base' please, top ones",
    "latest swaps, limited to 10 rows",
])
def test_sql_shaped(question):
    assert "QUESTION_SQL_SHAPED" in codes(question)


@pytest.mark.parametrize("question", [
    "What is the total of amount_usd per chain?",
    "Show sum(amount_usd) for each chain today",
    "How many rows does `dex.swaps` have for base?",
])
def test_identifier(question):
    assert "QUESTION_IDENTIFIER" in codes(question)


def test_identifiers_are_fine_when_the_answer_is_not_a_query():
    # "what does fee_bps mean" names the column the analyst is looking at; the answer is its comment
    assert codes("What does fee_bps in dex.pools mean?", "`fee_bps` (UInt16): Swap fee in basis points.") == []


def test_too_short_and_too_long():
    assert codes("swaps?") == ["QUESTION_TOO_SHORT"]
    assert codes(" ".join(["word"] * 61) + "?") == ["QUESTION_TOO_LONG"]


def test_same_question_with_a_different_answer_conflicts_and_is_rejected():
    check = QuestionCheck()
    assert check.findings(item("How many swaps happened on base?", line=1)) == []
    other = "```sql\nSELECT count() FROM dex.swaps WHERE chain = 'base'\n```"
    (found,) = check.findings(item("how many swaps happened on base", other, line=2))
    assert found.code == "QUESTION_CONFLICT" and found.severity == "error" and "row 1" in found.message
    # the same question with the same SQL template is dedupe's business, not a conflict
    assert check.findings(item("How many swaps happened on base?", "```sql\nselect COUNT() from dex.swaps\n```", line=3)) == []


def test_near_duplicate_with_different_sql_is_ambiguous():
    check = QuestionCheck()
    assert check.findings(item("How many swaps per chain?", "```sql\nSELECT chain, count() FROM dex.swaps GROUP BY chain\n```", 1)) == []
    found = check.findings(item("Swaps for each chain, how many?", "```sql\nSELECT count() FROM dex.swaps\n```", 2))
    assert [f.code for f in found] == ["QUESTION_AMBIGUOUS"] and found[0].severity == "warning"
    # different content words: a different question, however similar the wording
    assert check.findings(item("How many swaps per pool?", "```sql\nSELECT pool_address, count() FROM dex.swaps GROUP BY pool_address\n```", 3)) == []


@pytest.mark.parametrize("question", [
    "Which wallets traded the most USD volume last week?",
    "Top 10 pools by USD volume over the whole period",
    "Volume by wallet segment (retail, whale, bot, market maker)",
    "How do I join dex.pool_daily and dex.pools?",  # analysts do type the tables they browse
    "Rewrite this BigQuery query for ClickHouse:\n\n```bigquery\nSELECT chain, COUNT(*) FROM dex.swaps GROUP BY chain ORDER BY chain\n```",
])
def test_questions_an_analyst_asks_pass(question):
    assert codes(question) == []


def test_every_code_is_declared_once_and_only_conflict_rejects():
    assert set(SEVERITY) <= set(CODES) and SEVERITY == {"QUESTION_CONFLICT": "error"}
    runner = CheckRunner([QuestionCheck()])
    found = runner.run(item("Write a query returning chain, swaps, grouped by chain."))
    assert found and all(f.severity == "warning" for f in found)  # held for review, not dropped
    assert runner.stats["question"].dropped == 0 and runner.stats["question"].warned == 1
