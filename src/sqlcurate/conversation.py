"""The conversation contract: what nanochat can train on.

nanochat v1 trains on a list of {role, content} messages that strictly alternates user/assistant,
starts with the user and ends with the assistant. A single leading system message is allowed in our
model (many sources have one), and writers decide what to do with it (``SystemPolicy``).

Each assistant turn carries whether it is trained (``Message.trained``): sources mark turns the model must
see but not learn (OpenAI ``weight: 0``, axolotl ``train: false``, a KTO ``label: false`` answer). In the
plain dicts of ``as_messages``/``as_nanochat`` and in ``check_messages`` an untrained turn is spelled
``"weight": 0`` (OpenAI's spelling, which nanochat's renderer here honours); a trained turn has no key.

``check_messages`` is the single source of truth for the rules; readers call it on whatever they parsed,
so every format gets the same reason codes.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sqlcurate.findings import Finding

Role = Literal["system", "user", "assistant"]
ROLES: tuple[str, ...] = ("system", "user", "assistant")

CODES = {
    "NOT_A_LIST": "the conversation is not a list of messages",
    "MESSAGE_NOT_OBJECT": "a message is not a JSON object",
    "MISSING_ROLE": "a message has no role",
    "MISSING_CONTENT": "a message has no content",
    "BAD_ROLE": "a role other than system/user/assistant",
    "CONTENT_NOT_STRING": "content is not a string",
    "EMPTY_CONTENT": "content is empty after stripping whitespace",
    "CONTROL_CHAR": "content holds a NUL or other control character (tab and newline are fine)",
    "UNPAIRED_SURROGATE": "content holds an unpaired UTF-16 surrogate",
    "SYSTEM_NOT_FIRST": "a system message anywhere but first",
    "TOO_FEW_TURNS": "fewer than one user and one assistant turn",
    "BAD_ALTERNATION": "turns do not alternate user/assistant starting with user",
    "LAST_NOT_ASSISTANT": "the last turn is not the assistant's",
    "SYSTEM_REJECTED": "a system message, and the system policy is reject",
    "TRAIN_FLAG_INVALID": "a turn's weight is not 0 or 1 (or its train flag not a boolean)",
    "NOTHING_TRAINED": "every assistant turn is marked not trained: the row would teach nothing",
}

# Control characters other than tab (0x09), newline (0x0A) and carriage return (0x0D, part of CRLF text).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BAD_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class SystemPolicy(StrEnum):
    """What a nanochat writer does with a leading system message (nanochat v1 rejects one)."""

    MERGE = "merge"  # prepend it to the first user turn, separated by a blank line
    DROP = "drop"
    REJECT = "reject"


class Message(BaseModel):
    model_config = ConfigDict(frozen=True)
    role: Role
    content: str
    trained: bool = True  # only meaningful for assistant turns; the others are never trained


class Conversation(BaseModel):
    """A checked conversation plus provenance (never written into nanochat lines)."""

    messages: list[Message]
    meta: dict[str, Any] = Field(default_factory=dict)

    def as_nanochat(self, system: SystemPolicy = SystemPolicy.MERGE, weights: bool = True) -> list[dict[str, Any]]:
        """The bare list nanochat's CustomJSON reads; raises ValueError under SystemPolicy.REJECT.
        Untrained assistant turns keep ``"weight": 0`` (for the renderer's mask) unless ``weights`` is False."""
        msgs = self.as_messages(weights)
        if msgs and msgs[0]["role"] == "system":
            head = msgs.pop(0)
            if system is SystemPolicy.REJECT:
                raise ValueError("SYSTEM_REJECTED")
            if system is SystemPolicy.MERGE:
                msgs[0] = {"role": "user", "content": head["content"] + "\n\n" + msgs[0]["content"]}
        return msgs

    def as_messages(self, weights: bool = True) -> list[dict[str, Any]]:
        # plain dicts built directly: model_dump costs 5x more and this runs once per written row
        return [{"role": m.role, "content": m.content} if m.trained or not weights
                else {"role": m.role, "content": m.content, "weight": 0} for m in self.messages]

    @property
    def untrained_turns(self) -> list[int]:
        """Indexes of the assistant turns marked not trained."""
        return [i for i, m in enumerate(self.messages) if m.role == "assistant" and not m.trained]


def brief(value: Any, limit: int = 80) -> str:
    """repr of a value for a one-line diagnostic, cut to ``limit`` characters (input may hold anything)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_content(content: Any, index: int) -> list[Finding]:
    if not isinstance(content, str):
        return [Finding("CONTENT_NOT_STRING", f"message {index}: content is {type(content).__name__}, not a string")]
    out: list[Finding] = []
    if not content.strip():
        out.append(Finding("EMPTY_CONTENT", f"message {index}: content is empty"))
    if _BAD_CHAR.search(content) is None:  # one scan on the hot path; the precise ones only for bad rows
        return out
    if m := _CONTROL.search(content):
        out.append(Finding("CONTROL_CHAR", f"message {index}: control character U+{ord(m.group()):04X} at offset {m.start()}"))
    if m := _SURROGATE.search(content):
        out.append(Finding("UNPAIRED_SURROGATE", f"message {index}: unpaired surrogate U+{ord(m.group()):04X} at offset {m.start()}"))
    return out


def check_messages(value: Any) -> tuple[Conversation | None, list[Finding]]:
    """Check a parsed list of {role, content} dicts against the contract.

    Returns the Conversation when there is no error, else None and every finding (not just the first),
    so a user fixes a line once.
    """
    if not isinstance(value, list):
        return None, [Finding("NOT_A_LIST", f"expected a list of messages, got {type(value).__name__}")]
    findings: list[Finding] = []
    roles: list[str] = []
    for i, msg in enumerate(value):
        if not isinstance(msg, dict):
            findings.append(Finding("MESSAGE_NOT_OBJECT", f"message {i} is {type(msg).__name__}, not an object"))
            continue
        if "role" not in msg:
            findings.append(Finding("MISSING_ROLE", f"message {i} has no 'role'"))
            continue
        role = msg["role"]
        if role not in ROLES:
            findings.append(Finding("BAD_ROLE", f"message {i}: role {brief(role)} is not one of system/user/assistant"))
            continue
        if "content" not in msg:
            findings.append(Finding("MISSING_CONTENT", f"message {i} has no 'content'"))
        else:
            findings.extend(check_content(msg["content"], i))
        if "weight" in msg and msg["weight"] not in (0, 1):  # bools are 0 and 1 too
            findings.append(Finding("TRAIN_FLAG_INVALID", f"message {i}: weight {brief(msg['weight'])} is not 0 or 1"))
        roles.append(role)
    if findings:
        return None, findings
    findings.extend(_check_turns(roles))
    if findings:
        return None, findings
    # every field was checked above, so skip pydantic's re-validation (a third of the per-line cost)
    messages = []
    any_trained = False
    for m in value:
        trained = m.get("weight", 1) != 0
        any_trained = any_trained or (trained and m["role"] == "assistant")
        messages.append(_message(m["role"], m["content"], trained))
    if not any_trained:
        return None, [Finding("NOTHING_TRAINED", "every assistant turn is marked not trained (weight 0); "
                              "the row would teach nothing")]
    return Conversation.model_construct(messages=messages, meta={}), []


def _message(role: str, content: str, trained: bool) -> Message:
    """A Message from fields already checked, without pydantic's construction (``model_construct`` fills
    defaults field by field and was the largest single cost per row); equal to ``Message(...)``."""
    m = Message.__new__(Message)
    object.__setattr__(m, "__dict__", {"role": role, "content": content, "trained": trained})
    object.__setattr__(m, "__pydantic_fields_set__", {"role", "content", "trained"})  # model_copy updates it
    object.__setattr__(m, "__pydantic_extra__", None)
    object.__setattr__(m, "__pydantic_private__", None)
    return m


def _check_turns(roles: list[str]) -> list[Finding]:
    body = roles[1:] if roles and roles[0] == "system" else roles
    if "system" in body:
        return [Finding("SYSTEM_NOT_FIRST", f"system message at position {roles.index('system', 1 if roles[0] == 'system' else 0)}; only a single leading one is allowed")]
    if "user" not in body or "assistant" not in body:
        return [Finding("TOO_FEW_TURNS", f"needs at least one user and one assistant turn, got roles {brief(body)}")]
    for i, role in enumerate(body):
        expected = "user" if i % 2 == 0 else "assistant"
        if role != expected:
            return [Finding("BAD_ALTERNATION", f"turn {i} is {role!r}, expected {expected!r} (user/assistant must alternate, starting with user)")]
    if body[-1] != "assistant":
        return [Finding("LAST_NOT_ASSISTANT", "the last turn must be the assistant's")]
    return []
