"""Training signals are carried, never dropped: per-turn flags of every format, KTO labels, preference pairs,
Alpaca history; kept by the messages and Parquet writers, refused by the nanochat writer unless told, and
honoured by the masks `sqlcurate train` builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqlcurate.cli import main
from sqlcurate.formats.readers import ReadOptions, read_file, to_conversation

REPO = Path(__file__).resolve().parents[2]
TOKENIZER = REPO / "tests" / "fixtures" / "nanochat_v1" / "tokenizer"


def u(text: str) -> dict:
    return {"role": "user", "content": text}


def a(text: str, **flags) -> dict:
    return {"role": "assistant", "content": text, **flags}


def trained(value, fmt="auto", **options) -> list[bool]:
    conv, found, _ = to_conversation(value, fmt, ReadOptions(**options))
    assert conv is not None, found
    return [m.trained for m in conv.messages if m.role == "assistant"]


@pytest.mark.parametrize(("value", "expected"), [
    ({"messages": [u("q1"), a("a1", weight=0), u("q2"), a("a2", weight=1)]}, [False, True]),  # OpenAI
    ({"messages": [u("q1"), a("a1", train=False), u("q2"), a("a2")]}, [False, True]),  # axolotl
    ({"conversations": [{"from": "human", "value": "q1"}, {"from": "gpt", "value": "a1", "weight": 0},
                        {"from": "human", "value": "q2"}, {"from": "gpt", "value": "a2", "training": True}]}, [False, True]),
    ([u("q1"), a("a1", weight=0), u("q2"), a("a2")], [False, True]),  # a nanochat line with OpenAI's key
    # KTO: the completion is the last turn; earlier assistant turns are its prompt (context)
    ({"messages": [u("q1"), a("a1"), u("q2"), a("a2")], "label": True}, [False, True]),
    # TRL conversational prompt/completion: assistant turns of the prompt are context
    ({"prompt": [u("q1"), a("a1"), u("q2")], "completion": [a("a2")]}, [False, True]),
    # Alpaca history: earlier turns, trained like the last (LLaMA-Factory's default)
    ({"instruction": "q2", "output": "a2", "history": [["q1", "a1"]]}, [True, True]),
])
def test_flags_of_every_format(value, expected):
    assert trained(value) == expected


def test_preference_rows_quarantined_unless_chosen():
    row = {"conversations": [{"from": "human", "value": "q"}], "chosen": {"from": "gpt", "value": "good"},
           "rejected": {"from": "gpt", "value": "bad"}}
    conv, found, _ = to_conversation(row, "auto")
    assert conv is None and [f.code for f in found] == ["PREFERENCE_PAIR"]
    conv, found, _ = to_conversation(row, "auto", ReadOptions(preference="chosen"))
    assert conv.as_messages() == [u("q"), a("good")] and "bad" not in json.dumps(conv.meta)
    trl = {"prompt": [u("q")], "chosen": [a("good")], "rejected": [a("bad")]}
    conv, _, _ = to_conversation(trl, "auto", ReadOptions(preference="chosen"))
    assert conv.as_messages() == [u("q"), a("good")]
    implicit = {"chosen": [u("q1"), a("a1"), u("q2"), a("good")], "rejected": [u("q1"), a("a1"), u("q2"), a("bad")]}
    conv, found, _ = to_conversation(implicit, "auto")
    assert conv is None and [f.code for f in found] == ["PREFERENCE_PAIR"]
    conv, _, _ = to_conversation(implicit, "auto", ReadOptions(preference="chosen"))
    assert conv.as_messages() == [u("q1"), a("a1", weight=0), u("q2"), a("good")]  # the shared turns are the prompt


def test_kto_false_is_never_a_target():
    for row in ({"messages": [u("q"), a("bad")], "label": False}, {"prompt": "q", "completion": "bad", "label": False},
                {"instruction": "q", "output": "bad", "label": False}):
        conv, found, _ = to_conversation(row, "auto")
        assert conv is None and [f.code for f in found] == ["KTO_UNDESIRABLE"]


def invoke(*args):
    return CliRunner().invoke(main, [str(x) for x in args])


@pytest.fixture
def flagged(tmp_path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"messages": [u("q1"), a("a1", weight=0), u("q2"), a("a2")]}) + "\n"
                    + json.dumps({"messages": [u("q"), a("a")]}) + "\n")
    return path


def test_messages_and_parquet_writers_keep_the_flag(flagged, tmp_path):
    assert invoke("convert", "--to", "messages", flagged, tmp_path / "m.jsonl").exit_code == 0
    rows = [json.loads(x) for x in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert rows[0]["messages"][1] == a("a1", weight=0) and "weight" not in rows[0]["messages"][3]
    assert invoke("convert", tmp_path / "m.jsonl", tmp_path / "p.parquet").exit_code == 0
    back = [r.conversation for r in read_file(tmp_path / "p.parquet", "auto")]
    assert [m.trained for m in back[0].messages] == [True, False, True, True]


def test_nanochat_writer_refuses_untrained_turns_unless_told(flagged, tmp_path):
    result = invoke("convert", flagged, tmp_path / "n.jsonl")
    assert result.exit_code == 1 and f"{flagged}:1: UNTRAINED_TURN_UNSUPPORTED" in result.stderr
    assert len((tmp_path / "n.jsonl").read_text().splitlines()) == 1
    assert json.loads((tmp_path / "n.rejected.jsonl").read_text())["codes"] == ["UNTRAINED_TURN_UNSUPPORTED"]
    result = invoke("convert", "--untrained", "train", flagged, tmp_path / "t.jsonl")
    assert result.exit_code == 0
    first = json.loads((tmp_path / "t.jsonl").read_text().splitlines()[0])
    assert first == [u("q1"), a("a1"), u("q2"), a("a2")]  # plain nanochat: every turn trained, as asked


def test_train_masks_honour_the_flag(flagged):
    """The conversations `sqlcurate train` reads, rendered as its SFT loop renders them: the turn marked
    weight 0 contributes no target token, the other assistant turns do."""
    from nanochat.sft import render_all
    from nanochat.tokenizer import Tokenizer
    from sqlcurate.training import read_conversations

    tokenizer = Tokenizer.from_directory(TOKENIZER)
    convs, problems = read_conversations(flagged)
    assert problems == []
    flagged_sample, plain_sample = render_all(tokenizer, convs)
    ids, mask = flagged_sample.ids, flagged_sample.mask
    a1 = tokenizer.encode("a1")
    a2 = tokenizer.encode("a2")
    start = tokenizer.encode_special("<|assistant_start|>")
    turns = [i for i, t in enumerate(ids) if t == start]
    assert len(turns) == 2
    first_turn = slice(turns[0] + 1, turns[0] + 2 + len(a1))  # content and <|assistant_end|>
    second_turn = slice(turns[1] + 1, turns[1] + 2 + len(a2))
    assert list(ids[first_turn])[:-1] == a1 and list(ids[second_turn])[:-1] == a2
    assert set(mask[first_turn]) == {0} and set(mask[second_turn]) == {1}
    assert sum(mask) == len(a2) + 1
    assert sum(plain_sample.mask) == len(tokenizer.encode("a")) + 1
