"""The conversation contract as checks, for items that did not come straight from a reader.

Readers already apply ``check_messages`` to every line (reason codes in ``sqlcurate.conversation``); these
checks cover what happens after reading:
- ``SchemaCheck`` re-applies the contract after fixing checks rewrote content (a fix must never produce a
  row nanochat cannot train on), and lets builders check conversations they assembled themselves.
- ``SystemCheck`` applies ``--system reject`` for nanochat output: a row with a system message is dropped
  with SYSTEM_REJECTED instead of reaching the writer.
- ``UntrainedTurnCheck`` keeps nanochat output from training what its source said not to: nanochat JSONL
  cannot mark an assistant turn as context, so a row with one is dropped with UNTRAINED_TURN_UNSUPPORTED
  (``--untrained quarantine``, the default) unless the user chose to train every turn (``--untrained train``).
"""

from __future__ import annotations

from sqlcurate.checks.base import Check, Item
from sqlcurate.conversation import SystemPolicy, check_messages
from sqlcurate.findings import Finding


class SchemaCheck(Check):
    name = "schema"
    CODES = {}  # reuses the contract's codes (sqlcurate.conversation.CODES)

    def findings(self, item: Item) -> list[Finding]:
        _, found = check_messages(item.conversation.as_messages())
        return found


class SystemCheck(Check):
    name = "system"
    CODES = {}  # SYSTEM_REJECTED is declared in sqlcurate.conversation.CODES

    def __init__(self, policy: SystemPolicy | str = SystemPolicy.REJECT):
        self.policy = SystemPolicy(policy)

    def findings(self, item: Item) -> list[Finding]:
        messages = item.conversation.messages
        if self.policy is SystemPolicy.REJECT and messages and messages[0].role == "system":
            return [Finding("SYSTEM_REJECTED", "leading system message and --system reject "
                            "(nanochat v1 has no system role; use --system merge or drop to keep the row)")]
        return []


class UntrainedTurnCheck(Check):
    name = "untrained"
    CODES = {"UNTRAINED_TURN_UNSUPPORTED": "an assistant turn marked not trained, and nanochat JSONL cannot say "
             "so; write --to messages or parquet (they keep the flag), or pass --untrained train"}

    def findings(self, item: Item) -> list[Finding]:
        turns = item.conversation.untrained_turns
        if not turns:
            return []
        return [Finding("UNTRAINED_TURN_UNSUPPORTED", f"assistant turn(s) {turns} are marked not trained and nanochat "
                        "JSONL would train them; use --to messages or parquet, or --untrained train")]
