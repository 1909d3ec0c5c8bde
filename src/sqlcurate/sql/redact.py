"""SQL-aware redaction: secrets and personal data become typed placeholders such as ``<EMAIL_1>``.

What is a candidate: in prose, all of it; inside a SQL span (``sqlcurate.sql.extract``), only literals
(strings, numbers, hex) and comments, never identifiers or keywords, so a column named ``email`` or
``api_key`` keeps its name. A secret that fills a whole numeric or hex literal (``WHERE card =
4111111111111111``, ``WHERE addr = 0xdac1...``) becomes a quoted placeholder, so the query still parses;
inside a string literal the quotes stay where they were (``'<EMAIL_1>'``).

Placeholders are consistent within one conversation: the same wallet in the question and in the SQL
gets the same ``<EVM_ADDRESS_1>``; values are compared after the kind's normalisation (EVM hex and
emails are case-insensitive). Each kind is a row of ``PATTERNS`` (earlier rows win where matches overlap).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

from sqlcurate.conversation import Conversation, Message

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# Literal tokens: their text is data, not names. Everything else in a SQL span except whitespace and
# comments (identifiers, keywords, operators) is never touched.
_LITERAL_TOKENS = frozenset({TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.RAW_STRING,
                             TokenType.HEX_STRING, TokenType.BIT_STRING, TokenType.BYTE_STRING,
                             TokenType.NUMBER, TokenType.HEREDOC_STRING, TokenType.UNICODE_STRING})
_QUOTED_TOKENS = frozenset({TokenType.STRING, TokenType.NATIONAL_STRING, TokenType.RAW_STRING,
                            TokenType.HEREDOC_STRING, TokenType.UNICODE_STRING})


def _entropy(s: str) -> float:
    counts = Counter(s)
    return -sum(c / len(s) * math.log2(c / len(s)) for c in counts.values())


def _classes(s: str) -> int:
    return sum((any(c.islower() for c in s), any(c.isupper() for c in s), any(c.isdigit() for c in s),
                any(not c.isalnum() for c in s)))


def _luhn(s: str) -> bool:
    digits = [int(c) for c in s if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _solana(s: str) -> bool:
    # Random base58 of 32 bytes: long, mixed case and digits. Ordinary words and camelCase identifiers
    # rarely have 2+ digits, 3+ capitals and 3+ lower-case letters at this length.
    upper = sum(c.isupper() for c in s)
    lower = sum(c.islower() for c in s)
    digits = sum(c.isdigit() for c in s)
    return upper >= 3 and lower >= 3 and digits >= 2 and _entropy(s) >= 4.0


def _ip(s: str) -> bool:
    try:
        ipaddress.ip_address(s)
    except ValueError:
        return False
    return True


def _ipv6(s: str) -> bool:
    # 4+ hex digits: keeps slices such as a[1::2] and loopback-like scraps out
    return _ip(s) and sum(c in "0123456789abcdefABCDEF" for c in s) >= 4


def _secret_value(s: str) -> bool:
    # A value after key=/token:/password= is a secret unless it is a reference, a placeholder, a
    # snake_case name (prose about a column: "token is refresh_token_at") or a dotted name (code).
    if s.startswith(("<", "$", "{", "%", "/", "_")) or _SNAKE_NAME.fullmatch(s) or _DOTTED_NAME.fullmatch(s):
        return False
    if s.isalpha():  # letters only: a secret only if long, varied and not words (TokenType, JSONPathTokenizer)
        return len(s) >= 16 and _entropy(s) >= 3.5 and _classes(s) >= 2 and not _wordlike(s)
    return _classes(s) >= 2 and _entropy(s) >= 2.5


def _wordlike(s: str) -> bool:
    """True for names made of words (JSONPathTokenizer, getUserAccount); random letters have 1-2 letter
    lower-case pieces between capitals (wJalrXUtn...)."""
    return all(len(p) >= 3 or p.isupper() for p in _NAME_PART.findall(s))


def _email(s: str) -> bool:
    # '%@acme.io' in a LIKE pattern is a domain filter, not someone's address.
    return any(c.isalnum() for c in s.split("@", 1)[0])


_SNAKE_NAME = re.compile(r"[a-z]+(?:_[a-z]+)+|[A-Z]+(?:_[A-Z]+)+")
_NAME_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")  # the words of a camelCase/PascalCase name
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")  # code: token = request.headers[...]


@dataclass(frozen=True)
class Pattern:
    kind: str  # placeholder and finding name: <KIND_n>, SECRET_<KIND>
    regex: re.Pattern
    valid: Callable[[str], bool] | None = None  # extra test on the matched value
    group: str = "v"  # the named group that is the secret (the rest is context)
    normalize: Callable[[str], str] = str
    # Cheap gate: the regex runs only on text holding one of these substrings (in lower case when
    # ``lower_needles``); most prose and SQL holds none, and `in` is far cheaper than a regex scan.
    needles: tuple[str, ...] = ()
    lower_needles: bool = False
    # where a match really ends, given the text and the regex's end (a quoted secret runs to its quote)
    extend: Callable[[str, int, int], int] | None = None

    def candidates(self, text: str, lowered: str) -> bool:
        if not self.needles:
            return True
        hay = lowered if self.lower_needles else text
        return any(n in hay for n in self.needles)


def _p(kind: str, regex: str, valid=None, normalize=str, flags: int = 0, needles: tuple[str, ...] = (),
       lower_needles: bool = False, extend=None) -> Pattern:
    return Pattern(kind, re.compile(regex, flags), valid, "v", normalize, needles, lower_needles, extend)


def _to_closing_quote(text: str, start: int, end: int) -> int:
    """A value that opened with a quote ends at the matching quote, so trailing punctuation inside the quotes
    (``'Tr0ub4dor&3xyz!'``) is part of the secret; outside quotes it stays prose punctuation."""
    if start == 0 or text[start - 1] not in "'\"":
        return end
    close = text.find(text[start - 1], end)
    if close == -1 or any(c.isspace() for c in text[end:close]):
        return end
    return close


def _aws_secret(s: str) -> bool:
    # 40 base64 characters with upper, lower and digits (a git SHA or a hex digest has no upper case)
    return (any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s)
            and _entropy(s) >= 4.0 and not _wordlike(s))


def _url_email(s: str) -> str:
    return s.lower().replace("%40", "@")


# Order matters: earlier kinds win where matches overlap (a JWT is not also an API key, a tx hash not
# an address, an address after "token:" is an address, a key after "token=" not a Solana address).
PATTERNS: tuple[Pattern, ...] = (
    _p("PRIVATE_KEY", r"(?P<v>-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----)", flags=re.S,
       needles=("PRIVATE KEY",)),
    _p("JWT", r"(?<![\w-])(?P<v>eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})", needles=("eyJ",)),
    _p("API_KEY", r"(?<![\w-])(?P<v>(?:sk-(?:proj-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}"
                  r"|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}"
                  r"|xox[bapors]-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}"
                  r"|glpat-[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{30,}"
                  r"|https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{10,}))(?![\w-])",
       needles=("sk-", "sk_", "rk_", "gh", "github_pat_", "xox", "AKIA", "ASIA", "AIza", "glpat-", "hf_", "hooks.slack")),
    # the password of a connection string (postgres://user:PASSWORD@host), before EMAIL would take "PASSWORD@host"
    _p("SECRET", r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@]+:(?P<v>[^\s@/]+)@", needles=("://",)),
    _p("SECRET", r"(?i)\bIDENTIFIED\b(?:\s+WITH\s+\w+)?\s+BY\s+'(?P<v>(?:[^'\\]|\\.|'')+)'",
       needles=("identified",), lower_needles=True),
    _p("SECRET", r"(?i)\b(?:WITH\s+|ALTER\s+ROLE\s+\w+\s+)?PASSWORD\s+'(?P<v>(?:[^'\\]|\\.|'')+)'",
       needles=("password '",), lower_needles=True),
    _p("EMAIL", r"(?<![\w.+-])(?P<v>[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})(?![\w-])",
       _email, normalize=_url_email, needles=("@", "%40")),
    _p("EVM_TX_HASH", r"(?<![\w])(?P<v>0x[0-9a-fA-F]{64})(?![\w])", normalize=str.lower, needles=("0x",)),
    _p("EVM_ADDRESS", r"(?<![\w])(?P<v>0x[0-9a-fA-F]{40})(?![\w])", normalize=str.lower, needles=("0x",)),
    # A value after a name holding key/token/secret/password (DB_PASSWORD=, x-api-key:, github_token is)
    # and ":", "=" or "is", or after "Bearer": the separator keeps prose such as "the token column" out.
    _p("SECRET", r"(?i)(?:(?<![\w-])[\w-]*?(?:api[_-]?key|apikey|access[_-]?key|secret|token|password|passwd|pwd)"
                 r"[\w-]*[\"']?\s*(?:[:=]|\bis\b)|\bbearer\b|(?<![\w-])pw\s*[:=]?)\s*[\"']?"
                 r"(?P<v>[^\s\"',;`()\[\]{}]{7,}[^\s\"',;`()\[\]{}.:!?])", _secret_value,
       needles=("key", "token", "secret", "pass", "pwd", "bearer", "pw"), lower_needles=True, extend=_to_closing_quote),
    _p("SOLANA_ADDRESS", rf"(?<![\w])(?P<v>[{_B58}]{{32,44}})(?![\w])", _solana),
    # a bare AWS secret access key: exactly 40 base64 characters
    _p("SECRET", r"(?<![A-Za-z0-9/+=])(?P<v>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])", _aws_secret),
    _p("IPV6", r"(?<![\w.])(?P<v>(?:[0-9A-Fa-f]{1,4}:){1,7}(?::|(?::[0-9A-Fa-f]{1,4}){1,6}|[0-9A-Fa-f]{1,4})"
               r"|::(?:[0-9A-Fa-f]{1,4}:){0,6}[0-9A-Fa-f]{1,4})(?!\w)", _ipv6, normalize=str.lower,
       needles=(":",)),
    _p("IPV4", r"(?<![\w.])(?P<v>(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d))(?!\w|\.\d)",
       _ip, needles=(".",)),
    # Card brands' first digits (Visa 4, Mastercard 51-55/22-27, Amex 34/37, Discover 6, JCB 35, Diners
    # 30/36/38) keep 13-19 digit ids and millisecond timestamps (which start with 1) out; Luhn does the rest.
    _p("CARD_NUMBER", r"(?<![\w-])(?P<v>(?:4|5[1-5]|2[2-7]|3[0478]|35|6)\d(?:[ -]?\d){11,17})(?![\w-])", _luhn,
       normalize=lambda s: re.sub(r"\D", "", s)),
    _p("PHONE", r"(?<![\w+])(?P<v>\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\d"
                r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}|\d{3}[.-]\d{3}[.-]\d{4})(?![\w])",
       lambda s: 8 <= sum(c.isdigit() for c in s) <= 15, normalize=lambda s: re.sub(r"[^\d+]", "", s)),
)
KINDS: tuple[str, ...] = tuple(dict.fromkeys(p.kind for p in PATTERNS))

# Table functions whose arguments hold credentials, by lower-case name: arg count -> 0-based positions of the
# secret string arguments. ClickHouse's signatures: mysql/postgresql/mongodb(host, db, table, user, password),
# remote(addr, db, table, user, password) or remote(addr, 'db.table', user, password), s3/gcs/cosn(url,
# key_id, secret, ...), azureBlobStorage(conn, container, blob, account, key).
_CREDENTIAL_ARGS: dict[str, Callable[[list[str]], tuple[int, ...]]] = {
    **{name: (lambda args: (4,) if len(args) >= 5 else ()) for name in
       ("mysql", "postgresql", "mongodb", "materializedpostgresql", "azureblobstorage", "azureblobstoragecluster")},
    **{name: (lambda args: (4,) if len(args) >= 5 else (3,) if len(args) == 4 and "." in args[1] else ())
       for name in ("remote", "remotesecure", "cluster")},
    **{name: (lambda args: (1, 2) if len(args) >= 3 and _key_like(args[1]) else ())
       for name in ("s3", "s3cluster", "gcs", "cosn", "oss")},
}
_TABLE_FUNCTION = re.compile(r"(?i)\b(" + "|".join(_CREDENTIAL_ARGS) + r")\s*\(")


def _key_like(s: str) -> bool:
    """An access key id, not a format name or a structure ('CSV', 'a UInt32')."""
    return len(s) >= 16 and s.isalnum() and _classes(s) >= 2


def _arguments(text: str, pos: int) -> list[tuple[str, int, int]]:
    """The arguments of a call whose '(' is just before ``pos``: (text, start, end) of each, and for a string
    argument its inside (quotes excluded). Tolerant: stops at the closing ')' or the end of the text."""
    args: list[tuple[str, int, int]] = []
    depth, start, quoted = 0, pos, None
    i = pos
    while i < len(text):
        c = text[i]
        if c in "'\"":
            close = i + 1
            while close < len(text) and not (text[close] == c and text[close - 1] != "\\"):
                close += 1
            if depth == 0 and not text[start:i].strip():
                quoted = (i + 1, close)
            i = close + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")" and depth > 0:
            depth -= 1
        elif c in ",)" and depth == 0:
            s, e = quoted if quoted and not text[quoted[1] + 1:i].strip() else (start, i)
            args.append((text[s:e].strip() if not quoted else text[s:e], s, e))
            if c == ")":
                return args
            start, quoted = i + 1, None
        i += 1
    return args


def _credential_args(content: str) -> list[tuple[int, int, str]]:
    """(start, end, value) of each credential argument of a table function call (``mysql(..., 'pw')``)."""
    out = []
    for m in _TABLE_FUNCTION.finditer(content):
        args = _arguments(content, m.end())
        for index in _CREDENTIAL_ARGS[m.group(1).lower()]([a for a, _, _ in args]):
            value, s, e = args[index]
            if value and not value.startswith(("<", "{", "$")):
                out.append((s, e, value))
    return out


@dataclass(frozen=True, slots=True)
class Hit:
    """One secret found in one message: where, what kind, and its placeholder key."""

    message_index: int
    start: int
    end: int
    kind: str
    value: str
    key: str  # normalized value: equal keys share a placeholder
    quote: bool  # the value fills a bare literal: the placeholder needs quotes


def mask(value: str) -> str:
    """A secret shown in a diagnostic: kind-neutral, never enough to recover it."""
    return f"{value[:2]}***({len(value)} chars)"


def _sql_ranges(content: str, spans, dialect: str) -> tuple[list[tuple[int, int]], dict[tuple[int, int], bool]]:
    """Ranges inside SQL spans that must not change (identifiers, keywords, operators), and the
    literal tokens as (start, end) -> is_quoted."""
    forbidden: list[tuple[int, int]] = []
    literals: dict[tuple[int, int], bool] = {}
    for span in spans:
        try:
            tokens = sqlglot.tokenize(span.sql, read=dialect)
        except TokenError:
            continue  # not tokenizable: treat the span as prose, so nothing secret slips through
        for tok in tokens:
            s, e = span.start + tok.start, span.start + tok.end + 1
            if tok.token_type in _LITERAL_TOKENS:
                literals[(s, e)] = tok.token_type in _QUOTED_TOKENS
            else:
                forbidden.append((s, e))
    return forbidden, literals


def find_in_text(content: str, message_index: int = 0, sql_spans=(), dialect: str = "clickhouse") -> list[Hit]:
    """Every secret in one message's content, not overlapping, in order of position."""
    forbidden, literals = _sql_ranges(content, sql_spans, dialect) if sql_spans else ([], {})
    taken: list[tuple[int, int]] = []
    hits: list[Hit] = []
    lowered = content.lower()
    if "(" in content:
        for s, e, value in _credential_args(content):
            if not any(s < fe and fs < e for fs, fe in forbidden):
                hits.append(Hit(message_index, s, e, "SECRET", value, value, literals.get((s, e)) is False))
                taken.append((s, e))
    for pat in PATTERNS:
        if not pat.candidates(content, lowered):
            continue
        pos = 0
        while (m := pat.regex.search(content, pos)) is not None:
            s, e = m.span(pat.group)
            value = m.group(pat.group)
            if pat.valid is not None and not pat.valid(value):
                # e.g. "Bearer xpassword: S3cr3t": the rejected match hides a real one inside it
                pos = m.start() + 1
                continue
            pos = m.end()
            if pat.extend is not None:
                e = pat.extend(content, s, e)
                value = content[s:e]
            if any(s < fe and fs < e for fs, fe in taken):
                continue
            if any(s < fe and fs < e for fs, fe in forbidden):
                continue  # touches an identifier or keyword of a query
            quote = literals.get((s, e)) is False
            hits.append(Hit(message_index, s, e, pat.kind, value, pat.normalize(value), quote))
            taken.append((s, e))
    hits.sort(key=lambda h: h.start)
    return hits


def _spans_by_message(messages: list[Message]) -> dict[int, list]:
    from sqlcurate.sql.extract import extract_from_conversation

    out: dict[int, list] = {}
    for span in extract_from_conversation(messages, roles=("system", "user", "assistant")):
        out.setdefault(span.message_index, []).append(span)
    return out


def find_secrets(conv: Conversation | list[dict], dialect: str = "clickhouse") -> list[Hit]:
    """Every secret in a conversation (all roles), message by message."""
    messages = _messages(conv)
    spans = _spans_by_message(messages)
    out: list[Hit] = []
    for i, msg in enumerate(messages):
        out.extend(find_in_text(msg.content, i, spans.get(i, ()), dialect))
    return out


@dataclass
class Placeholders:
    """The conversation-wide map from (kind, normalized value) to ``<KIND_n>``."""

    by_key: dict[tuple[str, str], str] = field(default_factory=dict)
    per_kind: Counter = field(default_factory=Counter)

    def get(self, kind: str, key: str) -> str:
        ph = self.by_key.get((kind, key))
        if ph is None:
            self.per_kind[kind] += 1
            ph = self.by_key[(kind, key)] = f"<{kind}_{self.per_kind[kind]}>"
        return ph


def apply(content: str, hits: list[Hit], placeholders: Placeholders) -> str:
    """``content`` with each hit replaced by its placeholder (quoted where it fills a bare literal)."""
    out = []
    pos = 0
    for h in hits:
        ph = placeholders.get(h.kind, h.key)
        out.append(content[pos:h.start])
        out.append(f"'{ph}'" if h.quote else ph)
        pos = h.end
    out.append(content[pos:])
    return "".join(out)


def find_in_meta(meta: Any) -> list[tuple[str, Hit]]:
    """Secrets in the string values of a conversation's provenance (``meta``), with their JSON path
    (``meta.users[0]``): provenance travels beside the training file, so it is redacted as prose too."""
    out: list[tuple[str, Hit]] = []
    for path, text in _strings(meta, "meta"):
        out.extend((path, h) for h in find_in_text(text, -1))
    return out


def redact_meta(meta: Any, placeholders: Placeholders) -> tuple[Any, Counter]:
    """``meta`` with every secret in its strings replaced (same placeholders as the messages)."""
    counts: Counter[str] = Counter()

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            hits = find_in_text(value, -1)
            counts.update(h.kind for h in hits)
            return apply(value, hits, placeholders) if hits else value
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(meta), counts


def _strings(value: Any, path: str):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def redact_conversation(conv: Conversation | list[dict], dialect: str = "clickhouse"):
    """``(redacted conversation, Counter of kind -> replacements)``; the same shape that came in
    (a Conversation's ``meta`` is redacted too; a list of dicts stays a list of dicts)."""
    messages = _messages(conv)
    hits = find_secrets(messages, dialect)
    counts: Counter[str] = Counter(h.kind for h in hits)
    placeholders = Placeholders()
    by_msg: dict[int, list[Hit]] = {}
    for h in hits:
        by_msg.setdefault(h.message_index, []).append(h)
    # model_copy keeps every other field of a message (its training flag)
    new = [m.model_copy(update={"content": apply(m.content, by_msg[i], placeholders)}) if i in by_msg else m
           for i, m in enumerate(messages)]
    if isinstance(conv, Conversation):
        meta, meta_counts = redact_meta(conv.meta, placeholders) if conv.meta else (conv.meta, Counter())
        counts.update(meta_counts)
        if not counts:
            return conv, counts
        return conv.model_copy(update={"messages": new, "meta": meta}), counts
    if not counts:
        return conv, counts
    return [m.model_dump() for m in new], counts


def _messages(conv) -> list[Message]:
    if isinstance(conv, Conversation):
        return list(conv.messages)
    return [m if isinstance(m, Message) else Message(role=m["role"], content=m["content"]) for m in conv]
