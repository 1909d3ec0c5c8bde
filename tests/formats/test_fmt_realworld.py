"""The pinned real-world files (tests/formats/realworld/, README there): each converts with rows in = kept +
quarantined, the expected reason code for each kind of row, kept rows exactly as their source says, and
training flags kept through --to messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqlcurate.cli import main

REAL = Path(__file__).parent / "realworld"

# file -> (rows, kept, codes of the quarantined rows)
EXPECTED = {
    "llamafactory/identity.json": (91, 91, {}),
    "llamafactory/alpaca_en_demo.json": (40, 40, {}),
    "llamafactory/dpo_en_demo.json": (10, 0, {"PREFERENCE_PAIR": 10}),
    "llamafactory/kto_en_demo.json": (20, 12, {"KTO_UNDESIRABLE": 8}),
    "llamafactory/glaive_toolcall_en_demo.json": (15, 9, {"TOOL_ROLE_UNSUPPORTED": 6}),
    "llamafactory/mllm_demo.json": (6, 0, {"MEDIA_UNSUPPORTED": 6}),
    "llamafactory/mllm_audio_demo.json": (3, 0, {"MEDIA_UNSUPPORTED": 3}),
    "fastchat/dummy_conversation.json": (40, 40, {}),
    "axolotl/alpaca.json": (2, 2, {}),
    "axolotl/conversation.json": (1, 1, {}),
    "axolotl/conversation.missingturns.json": (1, 0, {"EMPTY_CONTENT": 1}),
    "openai-cookbook/toy_chat_fine_tuning.jsonl": (4, 3, {"TOO_FEW_TURNS": 1}),
    "trl/dataset_formats.jsonl": (11, 5, {"FORMAT_UNKNOWN": 1, "FORMAT_MISSING_FIELD": 2, "PREFERENCE_PAIR": 2,
                                          "TOOL_ROLE_UNSUPPORTED": 1}),
}


def convert(path: Path, out: Path, *extra: str) -> dict:
    result = CliRunner().invoke(main, ["convert", "--to", "messages", "--format", "json", *extra, str(path), str(out)])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_row_is_kept_or_quarantined_with_its_code(name, tmp_path):
    rows, kept, codes = EXPECTED[name]
    out = tmp_path / "o.jsonl"
    summary = convert(REAL / name, out)
    assert (summary["rows"], summary["kept"], summary["quarantined"]) == (rows, kept, rows - kept)
    assert {c: v["count"] for c, v in summary["codes"].items()} == codes
    assert len(lines(out)) == kept
    rejected = lines(tmp_path / "o.rejected.jsonl")
    assert len(rejected) == rows - kept and all(r["source"] == str(REAL / name) and r["raw"] for r in rejected)


def _source_rows(name: str) -> list:
    text = (REAL / name).read_text()
    if name.endswith(".jsonl"):
        return [json.loads(x) for x in text.splitlines()]
    value = json.loads(text)
    return value if isinstance(value, list) else [value]


def test_kept_rows_are_exactly_their_source(tmp_path):
    out = tmp_path / "a.jsonl"
    convert(REAL / "llamafactory/alpaca_en_demo.json", out)
    for src, row in zip(_source_rows("llamafactory/alpaca_en_demo.json"), lines(out), strict=True):
        user = src["instruction"] + (f"\n\n{src['input']}" if src["input"].strip() else "")
        assert row["messages"] == [{"role": "user", "content": user}, {"role": "assistant", "content": src["output"]}]
    convert(REAL / "fastchat/dummy_conversation.json", out)
    for src, row in zip(_source_rows("fastchat/dummy_conversation.json"), lines(out), strict=True):
        roles = {"human": "user", "gpt": "assistant"}
        assert row["messages"] == [{"role": roles[t["from"]], "content": t["value"]} for t in src["conversations"]]
        assert row["id"] == src["id"]


def test_kto_flags_survive_messages_and_the_chosen_answer_is_the_one_kept(tmp_path):
    out = tmp_path / "k.jsonl"
    convert(REAL / "llamafactory/kto_en_demo.json", out)
    wanted = [r for r in _source_rows("llamafactory/kto_en_demo.json") if r["label"]]
    kept = [row["messages"] for row in lines(out)]
    assert [[{"role": m["role"], "content": m["content"]} for m in row] for row in kept] == [r["messages"] for r in wanted]
    # a KTO label judges the last answer; earlier assistant turns are its prompt and stay untrained (weight 0)
    assert any(len(row) > 2 for row in kept)
    for row in kept:
        assert [m.get("weight", 1) for m in row if m["role"] == "assistant"] == [0] * (len(row) // 2 - 1) + [1]
    dpo = tmp_path / "d.jsonl"
    summary = convert(REAL / "llamafactory/dpo_en_demo.json", dpo, "--preference", "chosen")
    assert summary["kept"] == 10
    for src, row in zip(_source_rows("llamafactory/dpo_en_demo.json"), lines(dpo), strict=True):
        assert row["messages"][-1] == {"role": "assistant", "content": src["chosen"]["value"]}
        assert src["rejected"]["value"] not in json.dumps(row)
        # earlier assistant turns of a preference prompt are context: carried as weight 0
        assert all(m.get("weight") == 0 for m in row["messages"][:-1] if m["role"] == "assistant")


def test_train_masks_of_the_kto_rows_train_only_their_final_answer(tmp_path):
    from nanochat.sft import render_all
    from nanochat.tokenizer import Tokenizer
    from sqlcurate.training import read_conversations

    out = tmp_path / "k.jsonl"
    convert(REAL / "llamafactory/kto_en_demo.json", out)
    tokenizer = Tokenizer.from_directory(Path(__file__).parents[1] / "fixtures" / "nanochat_v1" / "tokenizer")
    convs, problems = read_conversations(out)
    assert problems == [] and len(convs) == 12
    for conv, sample in zip(convs, render_all(tokenizer, convs), strict=True):
        final = tokenizer.encode(conv[-1]["content"])
        assert sum(sample.mask) == len(final) + 1  # the final answer and its <|assistant_end|>, nothing else
