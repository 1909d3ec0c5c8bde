"""Retention: did fine-tuning on SQL cost the model its general knowledge? Multiple-choice accuracy,
scored the way nanochat scores MMLU and ARC in its chat eval.

Each item is rendered as one user turn (the question, then a line ``- <choice>=<letter>`` per choice,
then an instruction to answer with the letter), followed by the assistant start token; the model's
answer is the argmax of the next-token logits restricted to the letter tokens. No sampling and no
parsing of free text, so even a small model gets a clean number.

Input files, as the public datasets ship them (the user provides them; nothing is downloaded):
- MMLU layout, Parquet or JSONL: ``question`` (str), ``choices`` (list of str), ``answer`` (int index);
- ARC layout, JSONL: ``{"question": {"stem", "choices": [{"label", "text"}]}, "answerKey"}``;
- ARC layout, HF Parquet/JSONL: ``question`` (str), ``choices`` ({"text": [...], "label": [...]}),
  ``answerKey`` (a label).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlcurate.errors import LocatedError

CODES = {
    "EVAL_MC_BAD_ITEM": "a multiple-choice line lacks a question, choices or a valid answer",
    "EVAL_MC_FORMAT": "a multiple-choice file is neither .parquet nor JSON lines",
}

LETTERS = "ABCDEFGHIJ"


@dataclass(frozen=True)
class MCItem:
    question: str
    choices: tuple[str, ...]
    answer: int  # index into choices
    line: int


class MCDataError(LocatedError, ValueError):
    """A multiple-choice file that cannot be scored, as ``path:line: CODE reason``."""


def render_mc(question: str, choices: tuple[str, ...]) -> str:
    """The user turn of one item, in the layout nanochat's MMLU/ARC tasks use."""
    lines = [f"Multiple Choice question: {question}"]
    lines += [f"- {choice}={LETTERS[i]}" for i, choice in enumerate(choices)]
    return "\n".join(lines) + "\n\nRespond only with the letter of the correct answer."


def _item(row: dict[str, Any], line: int, where: str) -> MCItem:
    def bad(reason: str) -> MCDataError:
        return MCDataError("EVAL_MC_BAD_ITEM", where, line, reason)

    question, choices, labels = row.get("question"), row.get("choices"), None
    if isinstance(question, dict):  # ARC's original JSONL
        choices = question.get("choices")
        question = question.get("stem")
    if isinstance(choices, dict):  # ARC on the HF hub: {"text": [...], "label": [...]}
        labels, choices = list(choices.get("label") or []), list(choices.get("text") or [])
    elif isinstance(choices, list) and choices and isinstance(choices[0], dict):
        labels, choices = [c.get("label") for c in choices], [c.get("text") for c in choices]
    if not isinstance(question, str) or not question.strip():
        raise bad("no question text")
    if not isinstance(choices, list) or not 2 <= len(choices) <= len(LETTERS) or not all(isinstance(c, str) for c in choices):
        raise bad(f"choices must be a list of 2 to {len(LETTERS)} strings")
    if "answerKey" in row:
        key = str(row["answerKey"])
        labels = [str(x) for x in labels] if labels else list(LETTERS[: len(choices)])
        if key not in labels:
            raise bad(f"answerKey {key!r} is not one of the labels {labels}")
        answer = labels.index(key)
    else:
        answer = row.get("answer")
        if isinstance(answer, str) and len(answer) == 1 and answer in LETTERS:
            answer = LETTERS.index(answer)
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(choices):
            raise bad(f"answer must be an index into the {len(choices)} choices, got {answer!r}")
    return MCItem(question.strip(), tuple(choices), answer, line)


def load_mc(path: str | Path, limit: int | None = None) -> list[MCItem]:
    path = Path(path)
    if path.suffix == ".parquet":
        import polars as pl

        rows = pl.read_parquet(path).to_dicts()
        numbered = list(enumerate(rows, start=1))
    elif path.suffix in (".jsonl", ".json", ".ndjson"):
        numbered = []
        for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if raw.strip():
                try:
                    numbered.append((n, json.loads(raw)))
                except json.JSONDecodeError as e:
                    raise MCDataError("EVAL_MC_BAD_ITEM", path, n, f"invalid JSON: {e.msg}") from None
    else:
        raise MCDataError("EVAL_MC_FORMAT", path, 0, "expected .parquet or .jsonl")
    items = []
    for n, row in numbered:
        if not isinstance(row, dict):
            raise MCDataError("EVAL_MC_BAD_ITEM", path, n, "expected a JSON object")
        items.append(_item(row, n, str(path)))
        if limit is not None and len(items) >= limit:
            break
    return items


def letter_token_ids(tokenizer, count: int) -> list[int]:
    """The single token of each answer letter; a tokenizer that splits a letter cannot be scored this way."""
    ids = []
    for letter in LETTERS[:count]:
        enc = tokenizer.encode(letter)
        assert len(enc) == 1, f"letter {letter!r} encodes to {len(enc)} tokens; letter scoring needs one"
        ids.append(enc[0])
    return ids


def prompt_ids(tokenizer, item: MCItem) -> list[int]:
    """The rendered item, ending with ``<|assistant_start|>`` (the answer letter is what comes next)."""
    conversation = [{"role": "user", "content": render_mc(item.question, item.choices)},
                    {"role": "assistant", "content": LETTERS[item.answer]}]
    return tokenizer.render_for_completion(conversation)  # drops the assistant turn, primes its start


def predict_batch(model, tokenizer, items: list[MCItem]) -> list[int]:
    """For each item, the index of the choice whose letter token the model ranks highest after the
    assistant start. Rows are padded on the right: attention is causal, so padding after a row's last
    token cannot change that token's logits, and each row is read at its own last position."""
    import torch

    ids = [prompt_ids(tokenizer, it) for it in items]
    longest = max(len(x) for x in ids)
    pad = tokenizer.get_bos_token_id()  # any id: it only ever sits after the positions we read
    device = next(model.parameters()).device
    batch = torch.tensor([x + [pad] * (longest - len(x)) for x in ids], dtype=torch.long, device=device)
    with torch.no_grad():
        logits = model(batch)
    out = []
    for row, (it, x) in enumerate(zip(items, ids, strict=True)):
        candidates = letter_token_ids(tokenizer, len(it.choices))
        out.append(int(torch.argmax(logits[row, len(x) - 1, candidates]).item()))
    return out


def predict(model, tokenizer, item: MCItem) -> int:
    return predict_batch(model, tokenizer, [item])[0]


def score_mc(model, tokenizer, items: list[MCItem], batch_size: int = 8) -> tuple[int, list[int]]:
    """(number correct, predicted index per item)."""
    assert batch_size >= 1, f"batch_size must be >= 1, got {batch_size}"
    predictions: list[int] = []
    for start in range(0, len(items), batch_size):
        predictions += predict_batch(model, tokenizer, items[start:start + batch_size])
    return sum(int(p == it.answer) for p, it in zip(predictions, items, strict=True)), predictions
