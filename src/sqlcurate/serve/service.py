"""What the HTTP layer calls: chat messages in, text pieces out, over the continuous batcher.

Requests arrive on the event loop; tokens come from the batcher's worker thread through an asyncio
queue (``call_soon_threadsafe``). Text is decoded from the whole answer so far and handed out only
when it does not end inside a UTF-8 character, as ``sqlcurate chat`` does.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlcurate.serve.batching import Batcher, Request

# Characters a prompt may hold besides printable text; other control characters are refused (they are
# never typed by an analyst and some terminals and log viewers act on them).
ALLOWED_CONTROLS = {"\n", "\r", "\t"}
ROLES = ("system", "user", "assistant")


class GenerationFailed(RuntimeError):
    """The batch worker failed while decoding this request (its message names the exception)."""


class PromptError(ValueError):
    """A conversation the model cannot be asked: ``code`` is the OpenAI-style error code, ``param`` the field."""

    def __init__(self, code: str, message: str, param: str = "messages"):
        super().__init__(message)
        self.code = code
        self.param = param


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" (end of turn) or "length" (max_tokens reached)


def check_messages(messages: list[dict]) -> list[dict[str, str]]:
    """The conversation as nanochat renders it; raises PromptError with the first problem."""
    out = []
    for i, m in enumerate(messages):
        content = m.get("content")
        if isinstance(content, list):  # OpenAI content parts: text only
            if not all(isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content):
                raise PromptError("invalid_content", f"messages[{i}].content: only text parts are supported")
            content = "".join(p["text"] for p in content)
        if m.get("role") not in ROLES or not isinstance(content, str):
            raise PromptError("invalid_message", f"messages[{i}]: role must be one of {', '.join(ROLES)} and content a string")
        bad = next((c for c in content if unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROLS), None)
        if bad is not None:
            raise PromptError("invalid_content", f"messages[{i}].content holds the control character U+{ord(bad):04X}")
        out.append({"role": m["role"], "content": content})
    roles = [m["role"] for m in out if m["role"] != "system"]
    if any(m["role"] == "system" for m in out[1:]) or not roles or roles[-1] != "user" or any(
            r != ("user" if i % 2 == 0 else "assistant") for i, r in enumerate(roles)):
        raise PromptError("invalid_conversation", "messages must be an optional system message, then user and "
                                                  "assistant turns alternating, ending with a user turn")
    return out


class ChatService:
    def __init__(self, loaded, max_batch: int):
        from nanochat.engine import Engine

        self.loaded = loaded
        self.tokenizer = loaded.tokenizer
        stop_tokens = Engine(loaded.model, loaded.tokenizer).stop_tokens
        self.batcher = Batcher(loaded.model, stop_tokens, max_batch=max_batch)
        self.context = loaded.model.config.sequence_len

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        return self.tokenizer.render_for_completion([*messages, {"role": "assistant", "content": ""}])

    async def stream(self, prompt: list[int], max_tokens: int, temperature: float, top_k: int | None,
                     seed: int, result: Completion) -> AsyncIterator[str]:
        """Yield text pieces; ``result`` is filled in as they come. Leaving the loop early (a client that
        went away) cancels the request, and its batch row is freed at the next step."""
        loop = asyncio.get_running_loop()
        tokens: asyncio.Queue[int | None] = asyncio.Queue()
        request = Request(prompt, max_tokens, lambda t: loop.call_soon_threadsafe(tokens.put_nowait, t),
                          temperature=temperature, top_k=top_k, seed=seed)
        self.batcher.submit(request)
        ids: list[int] = []
        shown = ""
        try:
            while (token := await tokens.get()) is not None:
                ids.append(token)
                text = self.tokenizer.decode(ids)
                if not text.endswith("\ufffd"):
                    result.text, result.completion_tokens = text, len(ids)
                    yield text[len(shown):]
                    shown = text
            if request.failure:
                raise GenerationFailed(request.failure)
            result.finish_reason = "length" if len(ids) >= max_tokens else "stop"
            result.text, result.completion_tokens = self.tokenizer.decode(ids), len(ids)
            if len(result.text) > len(shown):
                yield result.text[len(shown):]
        finally:
            request.cancelled.set()

    async def complete(self, prompt: list[int], max_tokens: int, temperature: float, top_k: int | None,
                       seed: int) -> Completion:
        result = Completion("", len(prompt), 0, "stop")
        async for _ in self.stream(prompt, max_tokens, temperature, top_k, seed, result):
            pass
        return result

    def close(self) -> None:
        self.batcher.close()
