"""Extraction keeps positions exact, finds the three shapes and leaves prose alone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sqlcurate.conversation import check_messages
from sqlcurate.sql.extract import SqlSpan, extract_from_conversation, extract_sql, replace_spans


def test_fenced_sql_block_with_offsets():
    content = "Here you go:\n\n```sql\nSELECT a\nFROM t\n```\n\nThat counts rows."
    (span,) = extract_sql(content, 3)
    assert span.kind == "fenced_sql" and span.message_index == 3
    assert span.sql == "SELECT a\nFROM t"
    assert content[span.start:span.end] == span.sql


def test_dialect_labels_count_as_sql_and_other_labels_do_not():
    content = "```tsql\nSELECT TOP 1 a FROM t\n```\n```python\nprint('SELECT a FROM t')\n```"
    spans = extract_sql(content)
    assert [s.sql for s in spans] == ["SELECT TOP 1 a FROM t"]


def test_unlabelled_fence_only_when_it_parses_as_sql():
    content = "```\nSELECT count() FROM events\n```\n\n```\nSelect the rows you need\n```\n\n```\nls -la\n```"
    spans = extract_sql(content)
    assert [(s.kind, s.sql) for s in spans] == [("fenced", "SELECT count() FROM events")]


def test_bare_query_answer():
    content = "  SELECT user_id, count() AS n\nFROM events GROUP BY user_id\n"
    (span,) = extract_sql(content)
    assert span.kind == "bare" and content[span.start:span.end] == span.sql and span.sql.endswith("user_id")


def test_prose_is_not_a_bare_query():
    assert extract_sql("Select the table you want, then run the query.") == []
    assert extract_sql("With pleasure! Use LIMIT instead of TOP.") == []


def test_broken_query_in_sql_fence_is_still_extracted():
    (span,) = extract_sql("```sql\nSELECT FROM WHERE (\n```")
    assert span.sql == "SELECT FROM WHERE ("


def test_unclosed_fence_runs_to_end():
    (span,) = extract_sql("Try:\n```sql\nSELECT 1\n")
    assert span.sql == "SELECT 1"


def test_conversation_roles():
    conv, _ = check_messages([
        {"role": "user", "content": "```sql\nSELECT 1\n```"},
        {"role": "assistant", "content": "```sql\nSELECT 2\n```"},
    ])
    assert [s.sql for s in extract_from_conversation(conv)] == ["SELECT 2"]
    assert [s.message_index for s in extract_from_conversation(conv, roles=("user", "assistant"))] == [0, 1]


def test_replace_spans_keeps_the_text_around():
    content = "A:\n```sql\nSELECT TOP 1 a FROM t\n```\nB:\n```sql\nSELECT TOP 2 b FROM u\n```\nend"
    a, b = extract_sql(content)
    out = replace_spans(content, [(a, "SELECT a FROM t LIMIT 1"), (b, "SELECT b FROM u LIMIT 2")])
    assert out == "A:\n```sql\nSELECT a FROM t LIMIT 1\n```\nB:\n```sql\nSELECT b FROM u LIMIT 2\n```\nend"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="`"), max_size=40),
       st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="`"), max_size=40))
def test_offsets_always_point_at_the_sql(before, after):
    content = f"{before}\n```sql\nSELECT x FROM t WHERE y = 1\n```\n{after}"
    spans = extract_sql(content)
    assert spans and all(content[s.start:s.end] == s.sql for s in spans)
    assert any(s.sql == "SELECT x FROM t WHERE y = 1" for s in spans)
    assert isinstance(spans[0], SqlSpan)
