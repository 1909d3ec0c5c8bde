"""A query's template and its short hash: the same query with other literals gets the same fingerprint.

Used by dedupe, grouped train/val splits (no template on both sides) and the engine check's cache.
Built from the dialect's tokens, not a parse, so it is cheap and works on queries that do not parse:
literals become ``?``, keywords and unquoted names are lower-cased, quoting and spacing are normalized,
and a list of literals (``IN (1, 2, 3)``, ``VALUES (...), (...)``) collapses to one ``?...``.
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

LITERAL_TOKENS = frozenset(
    {TokenType.STRING, TokenType.NUMBER, TokenType.NATIONAL_STRING, TokenType.BIT_STRING, TokenType.HEX_STRING,
     TokenType.BYTE_STRING, TokenType.RAW_STRING, TokenType.HEREDOC_STRING, TokenType.UNICODE_STRING}
)
# Quoted identifiers keep their case (ClickHouse names are case-sensitive); everything else is folded.
CASE_KEEPING_TOKENS = frozenset({TokenType.IDENTIFIER})
LIST_PLACEHOLDER = "?..."


@lru_cache(maxsize=32)
def dialect_of(name: str) -> Dialect:
    """sqlglot's Dialect for ``name``, made once (``Dialect.get_or_raise`` builds a new one per call)."""
    return Dialect.get_or_raise(name)


# sqlglot builds a new Tokenizer (and its compiled core, ~20 us) on every ``Dialect.tokenize`` call; a
# tokenizer resets itself at the start of each ``tokenize``, so one per dialect can be reused. Per thread,
# because its state lives in the object while it runs.
_local = threading.local()


def tokenize(sql: str, dialect: str) -> list[Token]:
    """``dialect_of(dialect).tokenize(sql)`` with a reused tokenizer (TokenError as sqlglot raises it)."""
    cache = _local.__dict__.setdefault("tokenizers", {})
    tokenizer = cache.get(dialect)
    if tokenizer is None:
        tokenizer = cache[dialect] = dialect_of(dialect).tokenizer()
    return tokenizer.tokenize(sql)


def _words(sql: str, dialect: str) -> list[str]:
    try:
        tokens = tokenize(sql, dialect)
    except TokenError:
        # An unterminated quote and the like: fall back to whitespace words, still case-folded.
        return sql.lower().split()
    return _token_words(tokens)


def _token_words(tokens: list[Token]) -> list[str]:
    words: list[str] = []
    for tok in tokens:
        if tok.token_type in LITERAL_TOKENS:
            words.append("?")
        elif tok.token_type in CASE_KEEPING_TOKENS:
            words.append(tok.text)
        elif tok.token_type is TokenType.SEMICOLON:
            continue
        else:
            words.append(tok.text.lower())
    return _collapse_lists(words)


def _collapse_lists(words: list[str]) -> list[str]:
    """``( ? , ? , ? )`` -> ``( ?... )`` and repeated ``, ( ?... )`` rows after VALUES -> one row."""
    out: list[str] = []
    i = 0
    n = len(words)
    while i < n:
        w = words[i]
        if w == "(":
            j = i + 1
            while j + 1 < n and words[j] == "?" and words[j + 1] == ",":
                j += 2
            if j + 1 < n and words[j] == "?" and words[j + 1] == ")":
                # one literal in parentheses counts as a list too, so IN (1) and IN (1, 2) share a template
                out.extend(["(", LIST_PLACEHOLDER, ")"])
                i = j + 2
                continue
        if w == "," and out[-3:] == ["(", LIST_PLACEHOLDER, ")"] and words[i + 1:i + 2] == ["("]:
            # a further VALUES row: skip it if it is a literal row as well
            k = i + 2
            while k < n and words[k] in ("?", ","):
                k += 1
            if k < n and words[k] == ")" and k > i + 2:
                i = k + 1
                continue
        out.append(w)
        i += 1
    return out


def template(sql: str, dialect: str = "clickhouse") -> str:
    """The normalized text of ``sql``: literals out, case and spacing normalized, literal lists collapsed."""
    return " ".join(_words(sql, dialect))


def fingerprint(sql: str, dialect: str = "clickhouse") -> str:
    """A 16-hex-digit hash of ``template(sql, dialect)``."""
    return _hash(template(sql, dialect))


def fingerprint_tokens(tokens: list[Token]) -> str:
    """``fingerprint`` from tokens already made (the parse's own, see ``transpile.Analysis``)."""
    return _hash(" ".join(_token_words(tokens)))


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
