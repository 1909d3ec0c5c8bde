"""The redaction check: no secret or personal datum reaches the training data.

Messages and the provenance beside them (``meta``) are both covered. Without ``fix`` each secret is an
error finding ``SECRET_<KIND>`` naming the kind and the message (or meta path), with
the value masked (a diagnostic must not leak what it warns about). With ``fix`` the conversation is
redacted in place (``sqlcurate.sql.redact``) and each distinct secret is one ``Change`` whose
``before`` is masked too.
"""

from __future__ import annotations

from collections import Counter

from sqlcurate.checks.base import Change, Check, Item
from sqlcurate.findings import Finding
from sqlcurate.sql.redact import KINDS, Placeholders, apply, find_in_meta, find_secrets, mask, redact_meta

_MEANING = {
    "PRIVATE_KEY": "a PEM private key block",
    "JWT": "a JSON Web Token",
    "API_KEY": "an API key with a well-known prefix (sk-, sk_live_, ghp_, xoxb-, AKIA, AIza, ...) or a Slack webhook URL",
    "SECRET": "a password or key: after key/token/secret/password/pw, in IDENTIFIED BY / PASSWORD '...', in a "
              "connection string, a credential argument of a table function (mysql, s3, ...), a bare AWS secret key",
    "EMAIL": "an email address",
    "EVM_TX_HASH": "an EVM transaction hash (0x + 64 hex)",
    "EVM_ADDRESS": "an EVM address (0x + 40 hex)",
    "SOLANA_ADDRESS": "a Solana base58 address",
    "IPV6": "an IPv6 address",
    "IPV4": "an IPv4 address",
    "CARD_NUMBER": "a payment card number (Luhn-valid)",
    "PHONE": "a phone number",
}
assert set(_MEANING) == set(KINDS), "every redaction kind needs a reason code"
CODES = {f"SECRET_{kind}": meaning for kind, meaning in _MEANING.items()}


class RedactionCheck(Check):
    name = "redaction"
    CODES = CODES

    def __init__(self, fix: bool = False, dialect: str = "clickhouse"):
        self.fix = fix
        self.dialect = dialect
        self.replaced: Counter[str] = Counter()  # kind -> replacements made (``fix``), for reports
        self.conversations_redacted = 0

    def findings(self, item: Item) -> list[Finding]:
        conv = item.conversation
        hits = find_secrets(conv, self.dialect)
        meta_hits = find_in_meta(conv.meta) if conv.meta else []
        if not hits and not meta_hits:
            return []
        if not self.fix:
            where = [(f"message {h.message_index} (offset {h.start})", h) for h in hits] + meta_hits
            return [Finding(f"SECRET_{h.kind}", f"{loc}: {_MEANING[h.kind]} {mask(h.value)}; run with --fix or "
                            "`sqlcurate redact`") for loc, h in where]
        self.replaced.update([h.kind for h in hits] + [h.kind for _, h in meta_hits])
        self.conversations_redacted += 1
        placeholders = Placeholders()
        by_msg: dict[int, list] = {}
        for h in hits:
            by_msg.setdefault(h.message_index, []).append(h)
        messages = [m.model_copy(update={"content": apply(m.content, by_msg[i], placeholders)}) if i in by_msg else m
                    for i, m in enumerate(conv.messages)]
        meta = redact_meta(conv.meta, placeholders)[0] if meta_hits else conv.meta
        item.conversation = conv.model_copy(update={"messages": messages, "meta": meta})
        seen: set[tuple[str, str]] = set()
        for loc, h in [(f"message {h.message_index}", h) for h in hits] + meta_hits:
            if (h.kind, h.key) not in seen:
                seen.add((h.kind, h.key))
                item.changes.append(Change(self.name, f"SECRET_{h.kind}", f"{loc}: {mask(h.value)}",
                                           placeholders.get(h.kind, h.key)))
        return []
