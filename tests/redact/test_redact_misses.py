"""The secrets redaction used to let through (issue 12), each planted in prose, in a SQL string literal and
in a table function's arguments: none survives, the placeholder has the right kind, the query still parses
and the punctuation around a placeholder stays where it was."""

from __future__ import annotations

import pytest
import sqlglot

from sqlcurate.conversation import check_messages
from sqlcurate.sql.redact import find_in_text, redact_conversation

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SLACK = "https://hooks.slack.com/services/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"
# (name, the secret, how it is written in text, its kind)
CASES = [
    ("bare AWS secret key", AWS_SECRET, "{v}", "SECRET"),
    ("Slack webhook", SLACK, "{v}", "API_KEY"),
    ("DB_PASSWORD= in prose", "Zq8rT2vLx9", "DB_PASSWORD={v}", "SECRET"),
    ("URL-encoded email", "dana.lee%40acme.io", "{v}", "EMAIL"),
    ("password after pw", "Xk9mQ2zLp7", "pw: {v}", "SECRET"),
    ("CREATE USER IDENTIFIED BY", "Qw3rty!Secret", "CREATE USER bob IDENTIFIED WITH sha256_password BY '{v}'", "SECRET"),
    ("quoted password ending in punctuation", "Tr0ub4dor&3xyz!", "password: '{v}'", "SECRET"),
    ("connection-string password", "S3cretPw9", "postgres://app:{v}@db.internal.io:5432/prod", "SECRET"),
]
# table functions: the secret is an argument by position
FUNCTIONS = [
    ("mysql password", "Zq8rT2vLx9", "mysql('db:3306', 'shop', 'orders', 'root', '{v}')"),
    ("postgresql password", "hunter2", "postgresql('pg:5432', 'shop', 'orders', 'ro', '{v}')"),
    ("s3 secret key", AWS_SECRET, "s3('https://b.s3.amazonaws.com/x.csv', 'AKIAIOSFODNN7EXAMPLE', '{v}', 'CSV')"),
    ("remote password", "pa55word", "remoteSecure('ch:9440', 'db', 't', 'reader', '{v}')"),
]


def _redact(messages):
    conv, found = check_messages(messages)
    assert conv is not None, found
    return redact_conversation(conv)


@pytest.mark.parametrize(("name", "value", "shape", "kind"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("where", ["user prose", "system prose", "sql literal"])
def test_each_missed_kind_is_caught(name, value, shape, kind, where):
    text = shape.format(v=value)
    # a shape that is SQL itself is the query; any other sits in a string literal of one
    sql = text if text.startswith("CREATE") else (
        f"SELECT count() FROM users WHERE password = '{value}'" if "'" in text
        else f"SELECT count() FROM logs WHERE note = '{text}'")
    if where == "sql literal":
        messages = [{"role": "user", "content": "How many?"}, {"role": "assistant", "content": f"```sql\n{sql}\n```"}]
    elif where == "system prose":
        messages = [{"role": "system", "content": f"Ops notes: {text}."}, {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "hello"}]
    else:
        messages = [{"role": "user", "content": f"We use {text}, right?"}, {"role": "assistant", "content": "yes"}]
    redacted, counts = _redact(messages)
    out = "\n".join(m.content for m in redacted.messages)
    assert value not in out and counts[kind] >= 1, out
    assert f"<{kind}_1>" in out
    if where == "sql literal":
        sqlglot.parse_one(out.split("```sql\n")[1].split("\n```")[0], read="clickhouse")


@pytest.mark.parametrize(("name", "value", "call"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
@pytest.mark.parametrize("where", ["sql", "prose"])
def test_table_function_credentials(name, value, call, where):
    text = call.format(v=value)
    if where == "sql":
        content = f"```sql\nSELECT * FROM {text} LIMIT 10\n```"
    else:
        content = f"Run `SELECT * FROM {text}` to copy them."
    redacted, counts = _redact([{"role": "user", "content": "copy the table"}, {"role": "assistant", "content": content}])
    out = redacted.messages[1].content
    assert value not in out and counts["SECRET"] >= 1, out
    assert "'<SECRET_" in out  # the quotes around the argument stay
    if where == "sql":
        sqlglot.parse_one(out.split("```sql\n")[1].split("\n```")[0], read="clickhouse")


def test_placeholders_keep_the_punctuation_around_them():
    redacted, _ = _redact([{"role": "user", "content": "password: 'Tr0ub4dor&3xyz!' and pw: Xk9mQ2zLp7!"},
                           {"role": "assistant", "content": "ok"}])
    assert redacted.messages[0].content == "password: '<SECRET_1>' and pw: <SECRET_2>!"


def test_look_alikes_are_left_alone():
    """What resembles the new patterns but is not a secret: a git SHA, an s3 call without keys, format names."""
    text = ("commit 3f786850e387550fdab836ed7e6dc881de23001b; SELECT * FROM s3('https://b/x.csv', 'CSV', 'a UInt32') "
            "and mysql('h', 'db', 't', 'user') and https://hooks.example.com/services/x")
    assert find_in_text(text) == []
