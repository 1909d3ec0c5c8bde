"""Redaction: planted secrets of every kind never survive, identifiers keep their names, placeholders
are consistent within a conversation, and ordinary text is left alone."""

from __future__ import annotations

import random
import string

import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st

from sqlcurate.checks.base import Item
from sqlcurate.checks.redaction import CODES, RedactionCheck
from sqlcurate.conversation import check_messages
from sqlcurate.sql.redact import KINDS, PATTERNS, find_in_text, redact_conversation

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
rng = random.Random(20261125)


def _luhn_complete(prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        digits = [int(c) for c in body + check]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            return body + check
    raise AssertionError


def _rand(alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def planted() -> dict[str, list[str]]:
    """Many secrets of every kind, generated (seeded) in the shapes they take in the wild."""
    hexd = "0123456789abcdef"
    alnum = string.ascii_letters + string.digits
    return {
        "EMAIL": [f"{_rand(string.ascii_lowercase, 6)}.{_rand(string.ascii_lowercase, 4)}@{d}" for d in
                  ("acme.io", "mail.example.com", "corp.co.uk", "x-y.dev", "gmail.com")] + ["first+tag@sub.domain.org"],
        "EVM_ADDRESS": ["0x" + _rand(hexd + "ABCDEF", 40) for _ in range(5)],
        "EVM_TX_HASH": ["0x" + _rand(hexd, 64) for _ in range(4)],
        "SOLANA_ADDRESS": ["7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV", "DRpbCBMxVnDK7maPM5tGv6MvB3v1sRMC86PZ8okm21hy"]
                          + [_rand(B58, 44) for _ in range(3)],
        "API_KEY": ["sk-proj-" + _rand(alnum, 40), "sk-" + _rand(alnum, 48), "sk_live_" + _rand(alnum, 24),
                    "sk_test_" + _rand(alnum, 24), "ghp_" + _rand(alnum, 36), "xoxb-" + _rand(string.digits, 12) + "-" + _rand(alnum, 24),
                    "xoxp-" + _rand(string.digits, 10) + "-" + _rand(alnum, 20), "AKIA" + _rand(string.ascii_uppercase + string.digits, 16),
                    "AIza" + _rand(alnum + "_-", 35)],
        "JWT": ["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"],
        "SECRET": ["Hx9!kq2Lr7", "S3cr3t-Passw0rd", _rand(alnum, 32), "hunter22", _rand(alnum, 40)],
        "IPV4": ["10.12.0.7", "192.168.1.254", "203.0.113.42", "8.8.8.8"],
        "IPV6": ["2001:db8::8a2e:370:7334", "fe80::1ff:fe23:4567:890a", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"],
        "PHONE": ["+1 415-555-0132", "+44 20 7946 0958", "(212) 555-0199", "+49 30 901820", "+14155550100"],
        "CARD_NUMBER": [_luhn_complete("4", 16), _luhn_complete("51", 16), _luhn_complete("37", 15),
                        _luhn_complete("6011", 16), "4242 4242 4242 4242", "5555-5555-5555-4444"],
    }


SECRET_WORDS = ["password:", "api_key =", "token is", "secret=", "Authorization: Bearer"]


def _conversation(secrets: dict[str, list[str]]):
    """Secrets spread over prose (user and assistant), SQL string literals and SQL numeric literals."""
    prose, sql_lits = [], []
    for kind, values in secrets.items():
        for i, v in enumerate(values):
            if kind == "SECRET":
                prose.append(f"{SECRET_WORDS[i % len(SECRET_WORDS)]} {v}")
            elif i % 2 == 0:
                prose.append(f"see {v} here")
            else:
                sql_lits.append(v)
    user = "Hi, some context. " + "; ".join(prose[: len(prose) // 2]) + "."
    conds = []
    for v in sql_lits:
        if v.isdigit():
            conds.append(f"card_number = {v}")  # a bare numeric literal
        else:
            conds.append(f"wallet_address = '{v}'")
    sql = ("SELECT email, wallet_address, api_key, ip, phone, card_number, password\nFROM analytics.users\nWHERE "
           + "\n   OR ".join(conds) + "\nLIMIT 10")
    assistant = "Sure. " + "; ".join(prose[len(prose) // 2:]) + f".\n\n```sql\n{sql}\n```\nDone."
    conv, findings = check_messages([{"role": "user", "content": user}, {"role": "assistant", "content": assistant}])
    assert conv is not None, findings
    return conv


def test_no_planted_secret_survives_and_identifiers_stay():
    secrets = planted()
    assert set(secrets) == set(KINDS) - {"PRIVATE_KEY"}
    conv = _conversation(secrets)
    red, counts = redact_conversation(conv)
    text = "\n".join(m.content for m in red.messages)
    for kind, values in secrets.items():
        for v in values:
            assert v not in text and v.lower() not in text.lower(), f"{kind} {v!r} survived"
        assert counts[kind] >= len(values), (kind, counts)
    for ident in ("email", "wallet_address", "api_key", "ip", "phone", "card_number", "password", "analytics.users"):
        assert ident in text
    sql = text.split("```sql\n", 1)[1].split("\n```", 1)[0]
    tree = sqlglot.parse_one(sql, read="clickhouse")  # still a valid query: numeric secrets became strings
    assert {c.name for c in tree.find_all(sqlglot.exp.Column)} >= {"email", "wallet_address", "card_number"}


def test_private_key_block():
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA" + _rand(string.ascii_letters, 64) + "\n-----END RSA PRIVATE KEY-----"
    conv, _ = check_messages([{"role": "user", "content": f"my key:\n{key}\nwhy?"}, {"role": "assistant", "content": "Rotate it."}])
    red, counts = redact_conversation(conv)
    assert counts == {"PRIVATE_KEY": 1}
    assert "MIIE" not in red.messages[0].content and "<PRIVATE_KEY_1>" in red.messages[0].content


def test_placeholders_consistent_across_messages_and_case():
    wallet = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
    other = "0x" + "ab" * 20
    conv, _ = check_messages([
        {"role": "user", "content": f"Transfers of {wallet} vs {other}? Mail Dana.Lee@Acme.io"},
        {"role": "assistant", "content": f"```sql\nSELECT * FROM t WHERE a = '{wallet.lower()}' OR a = '{other}' OR b = 'dana.lee@acme.io'\n```"},
        {"role": "user", "content": f"And only {wallet.upper().replace('0X', '0x')}?"},
        {"role": "assistant", "content": "Same query with one address."},
    ])
    red, counts = redact_conversation(conv)
    assert red.messages[0].content == "Transfers of <EVM_ADDRESS_1> vs <EVM_ADDRESS_2>? Mail <EMAIL_1>"
    assert red.messages[1].content == ("```sql\nSELECT * FROM t WHERE a = '<EVM_ADDRESS_1>' OR a = '<EVM_ADDRESS_2>' "
                                       "OR b = '<EMAIL_1>'\n```")
    assert red.messages[2].content == "And only <EVM_ADDRESS_1>?"
    assert counts == {"EVM_ADDRESS": 5, "EMAIL": 2}


def test_bare_hex_and_numeric_literals_become_quoted_placeholders():
    conv, _ = check_messages([{"role": "user", "content": "q"}, {"role": "assistant", "content":
                              "```sql\nSELECT 1 FROM t WHERE addr = 0xdAC17F958D2ee523a2206206994597C13D831ec7 AND c = 4111111111111111\n```"}])
    red, _ = redact_conversation(conv)
    assert "addr = '<EVM_ADDRESS_1>' AND c = '<CARD_NUMBER_1>'" in red.messages[1].content


def test_identifiers_that_look_like_secrets_are_untouched_in_sql():
    # quoted identifiers shaped like an address or an email: names, not data
    sql = "SELECT `alice@example.com`, `0xdAC17F958D2ee523a2206206994597C13D831ec7` FROM t WHERE x = 'bob@example.com'"
    conv, _ = check_messages([{"role": "user", "content": "q"}, {"role": "assistant", "content": f"```sql\n{sql}\n```"}])
    red, counts = redact_conversation(conv)
    assert "`alice@example.com`" in red.messages[1].content
    assert "`0xdAC17F958D2ee523a2206206994597C13D831ec7`" in red.messages[1].content
    assert counts == {"EMAIL": 1}


def test_secret_in_sql_comment_is_redacted():
    conv, _ = check_messages([{"role": "user", "content": "q"}, {"role": "assistant", "content":
                              "```sql\n-- ask ops@acme.io\nSELECT email FROM users /* ip 10.0.0.9 */\n```"}])
    red, counts = redact_conversation(conv)
    assert counts == {"EMAIL": 1, "IPV4": 1}
    assert "SELECT email FROM users" in red.messages[1].content


CLEAN = [
    "SELECT toStartOfHour(ts) AS hour, count() FROM analytics.events WHERE ts >= '2024-01-15 12:30:45' GROUP BY hour",
    "Use version 1.2.3 of the driver; the meeting is at 12:30:45 on 2024-01-15.",
    "The handler getUserAccountBalanceHandlerForTheMainDashboard returns a Decimal(18, 4).",
    "Rows: 1700000000000 ms since epoch, order id 123456789012345, user 98765.",
    "A UUID like 550e8400-e29b-41d4-a716-446655440000 is an id, not a secret.",
    "Call arrayMap(x -> x * 2, tags) and cast with ::String in Postgres; IPv6 columns use toIPv6().",
    "The token: <API_KEY_1> was already redacted; password = ${DB_PASSWORD} comes from the environment.",
    "Look at system.query_log, column normalized_query_hash, and MergeTree settings index_granularity = 8192.",
    "Prices: 19.99, 1,234.56 and ratios 0.25; see section 3.4.1.",
    "ClickHouse listens on port 8123 and 9000.",
    "The token column refresh_token_at says when; token: refresh_token_at is its name.",
    "SELECT count() FROM analytics.users WHERE email LIKE '%@acme.io'",
    'In Python: password = os.environ["DB_PASSWORD"]; token = get_token(); token = TokenType; key = SENTINEL_NONE',
    "Every other element: arr[1::2]; IPv6 columns compare with toIPv6('::1').",
    "tokenizer = JSONPathTokenizer; secrets_dir = _secrets_dir; token: {report.tokens_cut}",
]


def test_ordinary_text_is_left_alone():
    for text in CLEAN:
        assert find_in_text(text) == [], (text, find_in_text(text))


def test_check_masks_values_and_fix_records_changes():
    key = "sk_live_" + "Ab3" * 8
    conv, _ = check_messages([{"role": "user", "content": f"key {key} and me@x.io"}, {"role": "assistant", "content": "ok"}])
    found = RedactionCheck().findings(Item(conv, "in.jsonl", 3))
    assert sorted(f.code for f in found) == ["SECRET_API_KEY", "SECRET_EMAIL"]
    for f in found:
        assert f.severity == "error" and "message 0" in f.message
        assert key not in f.message and "me@x.io" not in f.message and key[4:] not in f.message
        assert f.code in CODES
    item = Item(conv, "in.jsonl", 3)
    assert RedactionCheck(fix=True).findings(item) == []
    assert item.conversation.messages[0].content == "key <API_KEY_1> and <EMAIL_1>"
    assert {c.after for c in item.changes} == {"<API_KEY_1>", "<EMAIL_1>"}
    assert all(key not in c.before and "me@x.io" not in c.before for c in item.changes)


def test_every_kind_has_a_code():
    assert {f"SECRET_{p.kind}" for p in PATTERNS} == set(CODES)


# --- properties ------------------------------------------------------------------------------------------

_words = st.text(alphabet=string.ascii_letters + " ,.", min_size=0, max_size=40)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(before=_words, after=_words, addr=st.text(alphabet="0123456789abcdefABCDEF", min_size=40, max_size=40))
def test_any_evm_address_in_prose_is_removed(before, after, addr):
    text = f"{before} 0x{addr} {after}"
    conv, _ = check_messages([{"role": "user", "content": text}, {"role": "assistant", "content": "ok"}])
    red, counts = redact_conversation(conv)
    assert addr.lower() not in red.messages[0].content.lower()
    assert counts["EVM_ADDRESS"] == 1


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from([v for vs in planted().values() for v in vs] + ["hello", "SELECT 1", "x = 'a'"]),
                min_size=1, max_size=8))
def test_redaction_is_idempotent(parts):
    conv, _ = check_messages([{"role": "user", "content": " and ".join(parts)}, {"role": "assistant", "content": "ok"}])
    once, _ = redact_conversation(conv)
    twice, counts = redact_conversation(once)
    assert twice == once and not counts


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.text(alphabet=string.ascii_lowercase + " _.,()=*", max_size=120))
def test_lowercase_sql_like_text_is_unchanged(text):
    assert find_in_text(text) == []


def test_provenance_meta_is_redacted_with_the_same_placeholders():
    conv, _ = check_messages([{"role": "user", "content": "rows of ann@acme.io"}, {"role": "assistant", "content": "ok"}])
    conv.meta = {"source": "clickhouse:system.query_log", "users": ["ann@acme.io", "etl"], "count": 3,
                 "log_comment": {"by": "bob@acme.io"}}
    red, counts = redact_conversation(conv)
    assert red.meta == {"source": "clickhouse:system.query_log", "users": ["<EMAIL_1>", "etl"], "count": 3,
                        "log_comment": {"by": "<EMAIL_2>"}}
    assert counts == {"EMAIL": 3}
    found = RedactionCheck().findings(Item(conv, "in.jsonl", 1))
    assert [f.message.split(":")[0] for f in found] == ["message 0 (offset 8)", "meta.users[0]", "meta.log_comment.by"]
    item = Item(conv, "in.jsonl", 1)
    RedactionCheck(fix=True).findings(item)
    assert item.conversation.meta == red.meta and item.conversation.messages == red.messages
    assert [c.before.split(":")[0] for c in item.changes] == ["message 0", "meta.log_comment.by"]


def test_secret_names_and_sentence_punctuation():
    cases = {
        "export DB_PASSWORD=Hx9kq2Lr7zz and go": ("SECRET", "Hx9kq2Lr7zz"),
        "send header x-api-key: AbCdEf123456 please": ("SECRET", "AbCdEf123456"),
        "the github_token is 9f8e7d6c5b4a3210ff now": ("SECRET", "9f8e7d6c5b4a3210ff"),
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY": ("SECRET", "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"),
        # a rejected candidate ("xpassword" after Bearer) must not hide the real one inside it
        "Bearer xpassword: S3cr3t-Passw0rd]": ("SECRET", "S3cr3t-Passw0rd"),
        "It connects from 203.0.113.42. Then it fails.": ("IPV4", "203.0.113.42"),
        "Host fe80::1ff:fe23:4567:890a: refused.": ("IPV6", "fe80::1ff:fe23:4567:890a"),
        "password: 0x" + "ab" * 20: ("EVM_ADDRESS", "0x" + "ab" * 20),
    }
    for text, (kind, value) in cases.items():
        assert [(h.kind, h.value) for h in find_in_text(text)] == [(kind, value)], text
