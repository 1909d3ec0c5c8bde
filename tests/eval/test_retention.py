"""Retention: file layouts, the letter-token scoring rule, and the Wilson interval."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sqlcurate.eval.retention import (
    LETTERS,
    MCDataError,
    MCItem,
    letter_token_ids,
    load_mc,
    predict,
    render_mc,
    score_mc,
)
from sqlcurate.eval.stats import wilson_interval

DATA = Path(__file__).parent / "data"


def test_wilson_known_values():
    # reference values of the Wilson score interval (z = 1.96)
    lo, hi = wilson_interval(8, 10)
    assert math.isclose(lo, 0.4902, abs_tol=1e-4) and math.isclose(hi, 0.9433, abs_tol=1e-4)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and math.isclose(hi, 0.2775, abs_tol=1e-4)
    lo, hi = wilson_interval(10, 10)
    assert math.isclose(lo, 0.7225, abs_tol=1e-4) and hi == 1.0
    lo, hi = wilson_interval(50, 100)
    assert math.isclose(lo, 0.4038, abs_tol=1e-4) and math.isclose(hi, 0.5962, abs_tol=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(AssertionError):
        wilson_interval(3, 2)


def test_load_mmlu_jsonl_and_parquet(tmp_path):
    items = load_mc(DATA / "mc_mmlu.jsonl")
    assert [it.answer for it in items] == [1, 1, 2] and items[0].choices[1] == "LIMIT"
    import polars as pl

    pq = tmp_path / "mmlu.parquet"
    pl.DataFrame({"question": [it.question for it in items], "choices": [list(it.choices) for it in items],
                  "answer": [it.answer for it in items]}).write_parquet(pq)
    assert [(it.question, it.choices, it.answer) for it in load_mc(pq)] == [(it.question, it.choices, it.answer) for it in items]


def test_load_arc_layouts(tmp_path):
    items = load_mc(DATA / "mc_arc.jsonl")
    assert [(len(it.choices), it.answer) for it in items] == [(3, 1), (4, 0)]  # labels 1-4 map by position
    import polars as pl

    pq = tmp_path / "arc.parquet"  # the HF hub layout: choices as {text: [...], label: [...]}
    pl.DataFrame({"question": ["Which is a liquid?"], "choices": [{"text": ["iron", "water"], "label": ["A", "B"]}],
                  "answerKey": ["B"]}).write_parquet(pq)
    assert load_mc(pq)[0] == MCItem("Which is a liquid?", ("iron", "water"), 1, 1)


@pytest.mark.parametrize(("line", "reason"), [
    ('{"question": "q", "choices": ["a", "b"], "answer": 2}', "answer must be an index"),
    ('{"question": "q", "choices": ["a"], "answer": 0}', "choices must be a list"),
    ('{"choices": ["a", "b"], "answer": 0}', "no question"),
    ('{"question": {"stem": "q", "choices": [{"label": "A", "text": "x"}, {"label": "B", "text": "y"}]}, "answerKey": "E"}', "answerKey"),
    ('not json', "invalid JSON"),
])
def test_bad_items_name_file_and_line(tmp_path, line, reason):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "ok", "choices": ["a", "b"], "answer": 0}\n' + line + "\n")
    with pytest.raises(MCDataError) as e:
        load_mc(path)
    assert f"{path}:2: EVAL_MC_BAD_ITEM" in str(e.value) and reason in str(e.value)


def test_render_lists_every_choice_with_its_letter():
    text = render_mc("Pick one", ("red", "green", "blue"))
    assert text.startswith("Multiple Choice question: Pick one\n")
    assert "- red=A\n- green=B\n- blue=C\n" in text and text.endswith("letter of the correct answer.")


@pytest.fixture(scope="module")
def tokenizer(nanochat_fixtures):
    from nanochat.tokenizer import Tokenizer

    return Tokenizer.from_directory(nanochat_fixtures / "tokenizer")


class LogitsAt:
    """A stand-in model whose next-token logits favour given token ids (one constructed case)."""

    def __init__(self, vocab: int, favour: dict[int, float]):
        import torch

        self.param = torch.nn.Parameter(torch.zeros(1))
        self.vocab, self.favour = vocab, favour
        self.seen: list[list[int]] = []

    def parameters(self):
        return iter([self.param])

    def __call__(self, idx):
        import torch

        self.seen.append(idx[0].tolist())
        logits = torch.zeros(1, idx.shape[1], self.vocab)
        for token, value in self.favour.items():
            logits[0, -1, token] = value
        return logits


@pytest.mark.train
def test_letter_scoring_ignores_non_letter_tokens(tokenizer):
    letters = letter_token_ids(tokenizer, 4)
    assert len(set(letters)) == 4
    item = MCItem("q", ("w", "x", "y", "z"), answer=2, line=1)
    # 'C' beats the other letters; a non-letter token (id 5) is higher still and must not count
    model = LogitsAt(tokenizer.get_vocab_size(), {letters[2]: 3.0, letters[0]: 1.0, 5: 9.0})
    assert predict(model, tokenizer, item) == 2
    # the model saw the rendered question primed for the assistant, not the answer letter
    seen = model.seen[-1]
    assert seen[-1] == tokenizer.encode_special("<|assistant_start|>")
    assert render_mc("q", item.choices) in tokenizer.decode(seen)
    model = LogitsAt(tokenizer.get_vocab_size(), {letters[3]: 2.0})
    assert score_mc(model, tokenizer, [item]) == (0, [3])


@pytest.mark.train
def test_d2_prediction_is_the_argmax_over_letter_logits(nanochat_fixtures, tokenizer):
    import torch

    from sqlcurate.eval.generate import load_for_inference

    loaded = load_for_inference(nanochat_fixtures / "base_checkpoints" / "d2", source="base", device="cpu")
    items = load_mc(DATA / "mc_mmlu.jsonl") + load_mc(DATA / "mc_arc.jsonl")  # 4 and 3 choices, mixed lengths
    correct, predictions = score_mc(loaded.model, loaded.tokenizer, items, batch_size=4)
    assert correct == sum(p == it.answer for p, it in zip(predictions, items, strict=True))
    # right padding in a batch changes nothing: the same predictions one item at a time
    assert predictions == [predict(loaded.model, loaded.tokenizer, it) for it in items]
    for it, pred in zip(items, predictions, strict=True):
        ids = tokenizer.render_for_completion([{"role": "user", "content": render_mc(it.question, it.choices)},
                                               {"role": "assistant", "content": ""}])
        with torch.no_grad():
            logits = loaded.model(torch.tensor([ids]))[0, -1]
        letter_logits = [logits[tokenizer.encode(L)[0]].item() for L in LETTERS[: len(it.choices)]]
        assert pred == max(range(len(letter_logits)), key=letter_logits.__getitem__)
