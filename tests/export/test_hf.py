"""The Hugging Face export loads in transformers and computes what our nanochat computes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers", minversion="5.0")

CONVERSATIONS = [
    [{"role": "user", "content": "How many trades per day on dex.trades?"}],
    [{"role": "system", "content": "Answer in ClickHouse SQL."}, {"role": "user", "content": "Top 5 pools by volume"}],
    [{"role": "user", "content": "Tables?"}, {"role": "assistant", "content": "```sql\nSHOW TABLES\n```"},
     {"role": "user", "content": "Und die Spalten? (größte zuerst) — 日本語 🙂"}],
    [{"role": "user", "content": "  leading spaces,\ttabs\nand newlines\n\n"}],
]


def export(tmp_path, checkpoint, tokenizer=None):
    from sqlcurate.export.hf import export_hf

    out = tmp_path / f"hf_{checkpoint.name}"
    export_hf(checkpoint, out, tokenizer)
    model = transformers.AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    return out, model, transformers.AutoTokenizer.from_pretrained(out)


def float32_rope(model):
    """Our model with RoPE tables in float32 (nanochat v1 rounds them to bfloat16; transformers does not)."""
    c = model.config
    inv = 1.0 / (10000 ** (torch.arange(0, c.head_dim, 2, dtype=torch.float32) / c.head_dim))
    freqs = torch.outer(torch.arange(model.rotary_seq_len, dtype=torch.float32), inv)
    model.cos, model.sin = freqs.cos(), freqs.sin()


def greedy(model, prompt: list[int], n: int) -> list[int]:
    """Plain greedy decoding without a cache or stop tokens, as transformers' generate with eos None."""
    ids = list(prompt)
    with torch.no_grad():
        for _ in range(n):
            ids.append(int(model(torch.tensor([ids]))[0, -1].argmax()))
    return ids[len(prompt):]


@pytest.fixture(scope="module")
def reference(nanochat_fixtures):
    root = nanochat_fixtures / "reference"
    return json.loads((root / "inputs.json").read_text()), json.loads((root / "outputs.json").read_text())


@pytest.mark.parametrize("tag", ["d2", "d3gqa"])
def test_exported_logits_and_greedy_generation_match(tmp_path, nanochat_fixtures, reference, tag):
    from sqlcurate.eval.generate import load_for_inference

    inputs, outputs = reference
    ckpt = nanochat_fixtures / "base_checkpoints" / tag
    _, hf, _ = export(tmp_path, ckpt)
    ours = load_for_inference(ckpt, device="cpu").model
    for name, ids in inputs["sequences"].items():
        x = torch.tensor([ids])
        with torch.no_grad():
            theirs = hf(x).logits[0]
            v1 = ours(x)[0]
        real = np.load(nanochat_fixtures / "reference" / tag / f"logits_{name}.npy")
        # against the real nanochat's logits and ours: only the bfloat16 RoPE rounding differs (about 1e-3)
        assert np.abs(theirs.numpy() - real).max() < 5e-3
        assert torch.equal(theirs.argmax(-1), v1.argmax(-1))
    float32_rope(ours)
    for ids in inputs["sequences"].values():
        x = torch.tensor([ids])
        with torch.no_grad():
            torch.testing.assert_close(hf(x).logits[0], ours(x)[0], atol=1e-4, rtol=0)  # same tables: same numbers
    for name, prompt in inputs["generation_prompts"].items():
        reference_run = outputs[tag]["generation"][name]
        with torch.no_grad():
            got = hf.generate(torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                              max_new_tokens=20, do_sample=False, eos_token_id=None)[0, len(prompt):].tolist()
        assert got == greedy(ours, prompt, 20)  # same tables: the same 20 tokens
        if reference_run["min_top1_top2_gap"] > 4e-3:  # a closer race is decided by the RoPE rounding
            assert got == reference_run["model_generate_greedy_20"]  # the real nanochat's tokens


def test_demo_model_generates_what_our_engine_generates(tmp_path, repo):
    from sqlcurate.eval.generate import Generator, load_for_inference

    ckpt = repo / "src/sqlcurate/demo/assets/nanochat_base/base_checkpoints/d2"
    _, hf, tok = export(tmp_path, ckpt)
    gen = Generator(load_for_inference(ckpt, device="cpu"))
    for conv in CONVERSATIONS:
        ids = gen.prompt_ids(conv) if conv[-1]["role"] == "user" else None
        ours = gen.engine.complete([ids], max_tokens=24, temperature=0.0)[0]
        with torch.no_grad():
            out = hf.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                              max_new_tokens=24, do_sample=False)[0, len(ids):].tolist()
        stops = {tok.convert_tokens_to_ids("<|assistant_end|>"), tok.convert_tokens_to_ids("<|bos|>")}
        assert [t for t in out if t not in stops][:len(ours)] == ours  # generate pads after a stop; ours drops it
        assert len(out) == len(ours) or out[len(ours)] in stops


def test_chat_template_and_tokenizer_give_nanochats_ids(tmp_path, nanochat_fixtures):
    from nanochat.tokenizer import Tokenizer

    _, _, tok = export(tmp_path, nanochat_fixtures / "base_checkpoints" / "d2")
    ours = Tokenizer.from_directory(nanochat_fixtures / "tokenizer")
    for conv in CONVERSATIONS:
        expected = ours.render_for_completion([*conv, {"role": "assistant", "content": ""}])
        assert tok.apply_chat_template(conv, add_generation_prompt=True, tokenize=True, return_dict=False) == expected
        full = [*conv, {"role": "assistant", "content": "```sql\nSELECT 1\n```"}]
        assert tok.apply_chat_template(full, tokenize=True, return_dict=False) == ours.render_conversation(full)[0]
    for text in ["SELECT toDate(ts) AS day, count() FROM dex.trades GROUP BY day", "größte 日本語 🙂\n\n\t x"]:
        assert tok.encode(text, add_special_tokens=False) == ours.encode(text)
        assert tok.decode(ours.encode(text)) == text


def test_model_card_and_cli(tmp_path, nanochat_fixtures):
    report = tmp_path / "eval.json"
    totals = {"items": 12, "has_sql": {"count": 12, "rate": 1.0}, "parses": {"count": 9, "rate": 0.75},
              "dialect_clean": {"count": 9, "rate": 0.75}, "grounded": {"count": 6, "rate": 0.5},
              "engine_ok": {"count": 6, "rate": 0.5}, "exec_match": None}
    report.write_text(json.dumps({"runs": [{"label": "sft@7", "totals": totals}]}))
    build = tmp_path / "build_report.json"
    build.write_text(json.dumps({"by_task": {"query_log": {"candidates": 40, "written": 31}}, "custom_share": 1.0, "rejected": 9}))
    out = tmp_path / "hf"
    run = [sys.executable, "-c", "from sqlcurate.cli import main; main()", "export", "--format", "hf",
           str(nanochat_fixtures / "base_checkpoints" / "d2"), str(out), "--eval-report", str(report), "--build-report", str(build)]
    done = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    card = (out / "README.md").read_text()
    assert "library_name: transformers" in card and "| sft@7 | 12 | 100.0% | 75.0% | 75.0% | 50.0% | 50.0% | n/a |" in card
    assert "| query_log | 31 | 40 |" in card and "rejected by the checks: 9" in card
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "nanochat" and config["eos_token_id"] == [995, 991] and config.get("pad_token_id") is None
    from sqlcurate.errors import SqlcurateError
    from sqlcurate.export.hf import export_hf

    with pytest.raises(SqlcurateError) as e:
        export_hf(nanochat_fixtures / "base_checkpoints" / "d2", out)
    assert e.value.code == "EXPORT_OUT_EXISTS"


def test_push_offline_is_a_clear_error(tmp_path, nanochat_fixtures, monkeypatch):
    from sqlcurate.errors import SqlcurateError
    from sqlcurate.export.hf import export_hf, push

    out = export_hf(nanochat_fixtures / "base_checkpoints" / "d2", tmp_path / "hf").out
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SqlcurateError) as e:
        push(out, "someone/sqlcurate-test")
    assert e.value.code == "EXPORT_PUSH"
