"""The generation driver on the reference d2 checkpoint: same greedy continuation as nanochat's Engine."""

from __future__ import annotations

import json

import pytest

from sqlcurate.eval.generate import Generator, load_for_inference

pytestmark = pytest.mark.train


@pytest.fixture(scope="module")
def generator(nanochat_fixtures):
    return Generator(load_for_inference(nanochat_fixtures / "base_checkpoints" / "d2", source="base", device="cpu"))


@pytest.fixture(scope="module")
def reference(nanochat_fixtures):
    inputs = json.loads((nanochat_fixtures / "reference" / "inputs.json").read_text())
    outputs = json.loads((nanochat_fixtures / "reference" / "outputs.json").read_text())
    return inputs["generation_prompts"]["prompt_chat"], outputs["d2"]["generation"]["prompt_chat"]


def user_text(tokenizer, prompt_ids):
    start, end = prompt_ids.index(tokenizer.encode_special("<|user_start|>")), prompt_ids.index(tokenizer.encode_special("<|user_end|>"))
    return tokenizer.decode(prompt_ids[start + 1:end])


def test_load_reports_choice_and_finds_tokenizer(generator):
    assert generator.loaded.step == 7 and generator.loaded.label == "d2@7"
    assert generator.loaded.reason


def test_greedy_answer_matches_reference_engine(generator, reference):
    prompt_ids, expected = reference
    tok = generator.tokenizer
    messages = [{"role": "user", "content": user_text(tok, prompt_ids)}]
    assert generator.prompt_ids(messages) == prompt_ids
    completion = expected["engine_generate_batch_greedy_20"]["tokens"][len(prompt_ids):]
    g = generator.answer(messages, max_tokens=20, temperature=0.0)
    # the reference row stops at <|bos|> (excluded) after 18 tokens
    assert g.texts == [tok.decode(completion)] and g.new_tokens == len(completion) == 18


def test_batch_equals_one_by_one(generator, reference):
    prompt_ids, _ = reference
    prompts = [[{"role": "user", "content": user_text(generator.tokenizer, prompt_ids)}],
               [{"role": "user", "content": "Top pools by volume?"}],
               [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]]
    batched = generator.answer_batch(prompts, batch_size=2, max_tokens=12)
    single = [generator.answer(p, max_tokens=12).texts[0] for p in prompts]
    assert [g.texts[0] for g in batched] == single


def test_sampling_is_seeded(generator):
    msgs = [{"role": "user", "content": "How many swaps?"}]
    a = generator.answer(msgs, max_tokens=12, temperature=1.0, top_k=50, num_samples=3, seed=1)
    b = generator.answer(msgs, max_tokens=12, temperature=1.0, top_k=50, num_samples=3, seed=1)
    assert a.texts == b.texts and len(a.texts) == 3
    assert len(set(a.texts)) > 1  # three samples of a near-uniform toy model differ


def test_stream_yields_the_same_text(generator):
    msgs = [{"role": "user", "content": "How many swaps?"}]
    assert "".join(generator.stream(msgs, max_tokens=15)) == generator.answer(msgs, max_tokens=15).texts[0]


def test_prompt_must_end_with_user(generator):
    with pytest.raises(AssertionError):
        generator.prompt_ids([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}])


def test_tokenizer_found_or_named(nanochat_fixtures, tmp_path, monkeypatch):
    import shutil

    run = tmp_path / "elsewhere" / "run"
    shutil.copytree(nanochat_fixtures / "base_checkpoints" / "d2", run)
    monkeypatch.setenv("NANOCHAT_BASE_DIR", str(tmp_path / "empty"))
    from sqlcurate.errors import SqlcurateError

    with pytest.raises(SqlcurateError, match="--tokenizer") as refused:
        load_for_inference(run, device="cpu")
    assert refused.value.code == "CHECKPOINT_NOT_FOUND"
    loaded = load_for_inference(run, device="cpu", tokenizer_dir=nanochat_fixtures / "tokenizer")
    assert loaded.step == 7 and loaded.tokenizer.get_vocab_size() == 1000
