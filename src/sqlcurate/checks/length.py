"""LengthCheck: is a conversation short enough for the target model, counted in its own tokens?

Tokens are counted by rendering the conversation exactly as nanochat's SFT does
(``nanochat.tokenizer.Tokenizer.render_conversation``: bos, user/assistant special tokens, a leading system
message merged into the first user turn), so the count is what the trainer will see, not an estimate.

``--over-length drop`` (default) drops a row over ``max_tokens`` with LENGTH_OVER_MAX. ``truncate`` keeps
the longest prefix of whole user/assistant exchanges that fits (the row still ends with the assistant, so
it stays a valid conversation), records the cut in the change log and warns LENGTH_TRUNCATED; a row whose
first exchange alone is too long is still dropped. nanochat itself would silently cut the token sequence
mid-answer, which trains the model to stop in the middle of a query.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from sqlcurate.checks.base import Change, Check, Item
from sqlcurate.conversation import Conversation, SystemPolicy
from sqlcurate.findings import Finding

OverLength = Literal["drop", "truncate"]


class LengthCheck(Check):
    name = "length"
    CODES = {
        "LENGTH_OVER_MAX": "the rendered conversation has more tokens than --max-tokens",
        "LENGTH_TRUNCATED": "trailing user/assistant exchanges removed to fit --max-tokens",
    }

    def __init__(self, tokenizer_dir: str | Path, max_tokens: int, over_length: OverLength = "drop",
                 system: SystemPolicy | str = SystemPolicy.MERGE):
        from nanochat.tokenizer import Tokenizer  # the target model's tokenizer; tiktoken only, no torch

        assert max_tokens > 0, f"max_tokens must be positive, got {max_tokens}"
        assert over_length in ("drop", "truncate"), f"over_length is drop or truncate, got {over_length!r}"
        self.tokenizer = Tokenizer.from_directory(tokenizer_dir)
        self.max_tokens, self.over_length = max_tokens, over_length
        # REJECT rows never reach a nanochat file (SystemCheck drops them); count them as merged meanwhile
        self.system = SystemPolicy.DROP if SystemPolicy(system) is SystemPolicy.DROP else SystemPolicy.MERGE

    def count(self, conversation: Conversation) -> tuple[int, int]:
        """(tokens, trained tokens) of the conversation as nanochat renders it."""
        ids, mask = self.tokenizer.render_conversation(conversation.as_nanochat(self.system), max_tokens=None)
        return len(ids), sum(mask)

    def findings(self, item: Item) -> list[Finding]:
        conversation = item.conversation
        tokens, _ = self.count(conversation)
        if tokens <= self.max_tokens:
            return []
        over = Finding("LENGTH_OVER_MAX", f"{tokens} tokens, over --max-tokens {self.max_tokens}")
        if self.over_length == "drop":
            return [over]
        messages = conversation.messages
        head = 1 if messages[0].role == "system" else 0
        # drop whole trailing exchanges (user + assistant) until it fits; keep at least one
        for end in range(len(messages) - 2, head + 1, -2):
            shorter = Conversation(messages=messages[:end], meta=conversation.meta)
            fitted, _ = self.count(shorter)
            if fitted <= self.max_tokens:
                item.conversation = shorter
                before, after = f"{len(messages) - head} turns, {tokens} tokens", f"{end - head} turns, {fitted} tokens"
                item.changes.append(Change(self.name, "LENGTH_TRUNCATED", before, after))
                return [Finding("LENGTH_TRUNCATED", f"{before} cut to {after} (--max-tokens {self.max_tokens})", "warning")]
        return [over]
