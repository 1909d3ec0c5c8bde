"""nanochat v1 tokenizer: a tiktoken BPE read from ``tokenizer.pkl``, plus chat rendering.

No torch import at module level: the curation half of sqlcurate (length checks, token statistics) uses the
tokenizer on machines without torch. ``load_token_bytes`` imports torch when called.

``tokenizer.pkl`` is a pickle of one ``tiktoken.core.Encoding``. Unpickling an arbitrary file can run
arbitrary code, so it is read by a restricted unpickler: the only global it may name is
``tiktoken.core.Encoding``, and that name resolves to a harmless placeholder which just records the state
dict (name, pat_str, mergeable_ranks, special_tokens). The Encoding is then built by us from the checked
state. Anything else (another global, a call opcode) is refused before any object is created.
"""

from __future__ import annotations

import copy
import io
import pickle
import pickletools
from pathlib import Path
from typing import Any

import tiktoken

SPECIAL_TOKENS = [
    "<|bos|>",  # every document and conversation starts with it
    "<|user_start|>",
    "<|user_end|>",
    "<|assistant_start|>",
    "<|assistant_end|>",
    "<|python_start|>",  # assistant calls the python tool
    "<|python_end|>",
    "<|output_start|>",  # python output, written by the tool, never trained on
    "<|output_end|>",
]

# The one class a tokenizer.pkl may name, and the pickle opcodes its plain-data state needs.
_ALLOWED_GLOBAL = ("tiktoken.core", "Encoding")
_ALLOWED_OPCODES = frozenset(
    """PROTO FRAME STOP MARK MEMOIZE PUT BINPUT LONG_BINPUT GET BINGET LONG_BINGET
    GLOBAL STACK_GLOBAL EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3 NEWOBJ BUILD
    EMPTY_DICT DICT SETITEM SETITEMS EMPTY_LIST LIST APPEND APPENDS
    SHORT_BINUNICODE BINUNICODE BINUNICODE8 UNICODE SHORT_BINBYTES BINBYTES BINBYTES8
    BININT BININT1 BININT2 INT LONG1 LONG4 NONE NEWTRUE NEWFALSE""".split()
)
_STATE_KEYS = {"name", "pat_str", "mergeable_ranks", "special_tokens"}


class UnsafeTokenizerFile(ValueError):
    """tokenizer.pkl holds something other than the data of a tiktoken Encoding."""


class _EncodingState:
    """Stands in for tiktoken.core.Encoding while unpickling: keeps the state, runs nothing."""

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, data: bytes, path: Path):
        super().__init__(io.BytesIO(data))
        self.path = path

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) != _ALLOWED_GLOBAL:
            raise UnsafeTokenizerFile(
                f"{self.path}: refusing to unpickle {module}.{name}: a tokenizer pickle may only name tiktoken.core.Encoding"
            )
        return _EncodingState

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafeTokenizerFile(f"{self.path}: refusing persistent id {pid!r} in a tokenizer pickle")


def _scan_pickle(data: bytes, path: Path) -> None:
    """Refuse a forbidden global or opcode before unpickling (names the object, so users see what was tried)."""
    recent_strings: list[str] = []
    try:
        for opcode, arg, _pos in pickletools.genops(data):
            if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
                recent_strings = (recent_strings + [arg])[-2:]
            if opcode.name == "GLOBAL":
                module, name = arg.split(" ", 1)
            elif opcode.name == "STACK_GLOBAL":
                module, name = recent_strings if len(recent_strings) == 2 else ("?", "?")
            else:
                module = name = None
            if module is not None and (module, name) != _ALLOWED_GLOBAL:
                raise UnsafeTokenizerFile(
                    f"{path}: refusing to unpickle {module}.{name}: a tokenizer pickle may only name tiktoken.core.Encoding"
                )
            if opcode.name not in _ALLOWED_OPCODES:
                raise UnsafeTokenizerFile(
                    f"{path}: refusing pickle opcode {opcode.name}: a tokenizer pickle holds plain data only"
                )
    except UnsafeTokenizerFile:
        raise
    except Exception as e:  # truncated or not a pickle at all
        raise UnsafeTokenizerFile(f"{path}: not a readable pickle ({e})") from e


def _check_state(state: Any, path: Path) -> dict[str, Any]:
    if not isinstance(state, dict) or set(state) != _STATE_KEYS:
        keys = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise UnsafeTokenizerFile(
            f"{path}: Encoding state must have exactly the keys {sorted(_STATE_KEYS)}, got {keys}"
        )
    if not isinstance(state["name"], str) or not isinstance(state["pat_str"], str):
        raise UnsafeTokenizerFile(f"{path}: Encoding name and pat_str must be strings")
    ranks, specials = state["mergeable_ranks"], state["special_tokens"]
    if not isinstance(ranks, dict) or not all(type(k) is bytes and type(v) is int for k, v in ranks.items()):
        raise UnsafeTokenizerFile(f"{path}: mergeable_ranks must map bytes to int")
    if not isinstance(specials, dict) or not all(
        type(k) is str and type(v) is int for k, v in specials.items()
    ):
        raise UnsafeTokenizerFile(f"{path}: special_tokens must map str to int")
    return state


def load_encoding(path: str | Path) -> tiktoken.Encoding:
    """Rebuild the tiktoken Encoding pickled in ``path`` without executing anything the file asks for."""
    path = Path(path)
    data = path.read_bytes()
    _scan_pickle(data, path)
    obj = _RestrictedUnpickler(data, path).load()
    if not isinstance(obj, _EncodingState) or not hasattr(obj, "state"):
        raise UnsafeTokenizerFile(
            f"{path}: expected a pickled tiktoken.core.Encoding, got {type(obj).__name__}"
        )
    return tiktoken.Encoding(**_check_state(obj.state, path))


def _messages(conversation: Any) -> list[dict[str, Any]]:
    """nanochat passes {"messages": [...]}; JSONL lines are bare lists. Accept both."""
    if isinstance(conversation, dict):
        return conversation["messages"]
    return list(conversation)


class Tokenizer:
    """The v1 tokenizer: ordinary BPE over the split regex, special tokens only via encode_special."""

    def __init__(self, enc: tiktoken.Encoding):
        self.enc = enc
        missing = [t for t in SPECIAL_TOKENS if t not in enc._special_tokens]
        assert not missing, f"tokenizer lacks nanochat special tokens {missing}"
        self.bos_token_id = self.encode_special("<|bos|>")

    @classmethod
    def from_directory(cls, directory: str | Path) -> Tokenizer:
        return cls(load_encoding(Path(directory) / "tokenizer.pkl"))

    @property
    def vocab_size(self) -> int:
        return self.enc.n_vocab

    def get_vocab_size(self) -> int:
        return self.enc.n_vocab

    def get_special_tokens(self) -> set[str]:
        return set(self.enc.special_tokens_set)

    def get_bos_token_id(self) -> int:
        return self.bos_token_id

    def encode_special(self, text: str) -> int:
        return self.enc.encode_single_token(text)

    def _special_id(self, token: int | str) -> int:
        return token if isinstance(token, int) else self.encode_special(token)

    def encode(
        self,
        text: str | list[str],
        prepend: int | str | None = None,
        append: int | str | None = None,
        num_threads: int = 8,
    ) -> list[int] | list[list[int]]:
        """Ordinary encoding: special-token strings inside ``text`` are plain text, never control tokens."""
        head = [] if prepend is None else [self._special_id(prepend)]
        tail = [] if append is None else [self._special_id(append)]
        if isinstance(text, str):
            return head + self.enc.encode_ordinary(text) + tail
        if isinstance(text, list):
            return [
                head + ids + tail for ids in self.enc.encode_ordinary_batch(text, num_threads=num_threads)
            ]
        raise ValueError(f"Invalid input type: {type(text)}")

    __call__ = encode

    def decode(self, ids: list[int]) -> str:
        # tiktoken replaces incomplete UTF-8 with U+FFFD, as the reference does
        return self.enc.decode(ids)

    def id_to_token(self, token_id: int) -> str:
        return self.enc.decode([token_id])

    def render_conversation(self, conversation: Any, max_tokens: int = 2048) -> tuple[list[int], list[int]]:
        """Token ids of a chat and a mask that is 1 where the assistant is trained (its text, its tool calls
        and <|assistant_end|>), 0 elsewhere and on an assistant turn marked ``"weight": 0``. Exceptions and messages match nanochat v1's, so code that
        catches them keeps working."""
        messages = _messages(conversation)
        if messages and messages[0]["role"] == "system":
            # v1 has no system turn: its text is prepended to the first user message
            messages = copy.deepcopy(messages)
            if not (len(messages) > 1 and messages[1]["role"] == "user"):
                raise AssertionError("System message must be followed by a user message")
            messages[1]["content"] = messages[0]["content"] + "\n\n" + messages[1]["content"]
            messages = messages[1:]
        if len(messages) < 1:
            raise AssertionError(f"Conversation has less than 1 message: {messages}")

        ids: list[int] = []
        mask: list[int] = []

        def add(tokens: int | list[int], trained: int) -> None:
            tokens = [tokens] if isinstance(tokens, int) else tokens
            ids.extend(tokens)
            mask.extend([trained] * len(tokens))

        special = {name: self.encode_special(name) for name in SPECIAL_TOKENS}
        # assistant content parts: (opening token, closing token, trained?); tool output comes from the
        # tool at inference time, so the model is never trained to write it
        parts = {
            "text": (None, None, 1),
            "python": (special["<|python_start|>"], special["<|python_end|>"], 1),
            "python_output": (special["<|output_start|>"], special["<|output_end|>"], 0),
        }
        add(self.bos_token_id, 0)
        for i, message in enumerate(messages):
            expected = "user" if i % 2 == 0 else "assistant"
            if message["role"] != expected:
                raise AssertionError(f"Message {i} is from {message['role']} but should be from {expected}")
            content = message["content"]
            if expected == "user":
                if not isinstance(content, str):
                    raise AssertionError("User messages are simply expected to be strings")
                add(special["<|user_start|>"], 0)
                add(self.encode(content), 0)
                add(special["<|user_end|>"], 0)
                continue
            add(special["<|assistant_start|>"], 0)
            # an assistant turn with "weight": 0 (OpenAI's fine-tuning spelling) is context, not a target:
            # rendered the same, masked out entirely (content, tool calls and <|assistant_end|>)
            turn_trained = 0 if message.get("weight", 1) == 0 else 1
            if isinstance(content, str):
                add(self.encode(content), turn_trained)
            elif isinstance(content, list):
                for part in content:
                    value_ids = self.encode(part["text"])
                    if part["type"] not in parts:
                        raise ValueError(f"Unknown part type: {part['type']}")
                    start, end, trained = parts[part["type"]]
                    if start is not None:
                        add(start, trained & turn_trained)
                    add(value_ids, trained & turn_trained)
                    if end is not None:
                        add(end, trained & turn_trained)
            else:
                raise ValueError(f"Unknown content type: {type(content)}")
            add(special["<|assistant_end|>"], turn_trained)
        return ids[:max_tokens], mask[:max_tokens]

    def render_for_completion(self, conversation: Any) -> list[int]:
        """The prompt for generating the last assistant turn: the chat without it, then <|assistant_start|>."""
        messages = copy.deepcopy(_messages(conversation))
        if messages[-1]["role"] != "assistant":
            raise AssertionError("Last message must be from the Assistant")
        messages.pop()
        ids, _ = self.render_conversation(messages)
        return ids + [self.encode_special("<|assistant_start|>")]

    def visualize_tokenization(self, ids: list[int], mask: list[int]) -> str:
        """Each token between | bars, trained ones marked with *, for eyeballing a rendered conversation."""
        return "".join(f"|{'*' if m else ''}{self.decode([t])}" for t, m in zip(ids, mask, strict=True)) + "|"


def load_token_bytes(directory: str | Path, device: str = "cpu"):
    """``token_bytes.pt``: UTF-8 length of each id decoded alone (0 for special tokens), for bits per byte."""
    import torch

    path = Path(directory) / "token_bytes.pt"
    return torch.load(path, map_location=device, weights_only=True)
