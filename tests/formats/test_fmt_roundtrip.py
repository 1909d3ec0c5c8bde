"""Round trips between formats (hypothesis): what goes in comes back out, through every writer and reader."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from fmt_helpers import load_customjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqlcurate.conversation import Conversation, Message, SystemPolicy
from sqlcurate.formats.readers import read_file
from sqlcurate.formats.writers import open_writer

# Any text the contract accepts: no surrogates, no control characters but tab/newline, not blank.
text = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t"), min_size=1, max_size=40
               ).filter(lambda s: s.strip())
json_leaf = st.none() | st.booleans() | st.integers(-10**6, 10**6) | text
meta = st.dictionaries(st.text(min_size=1, max_size=8).filter(lambda k: k not in ("messages", "message_extra")),
                       json_leaf | st.lists(json_leaf, max_size=3), max_size=3)


@st.composite
def conversations(draw, system: bool = True, with_meta: bool = True) -> Conversation:
    messages = []
    if system and draw(st.booleans()):
        messages.append(Message(role="system", content=draw(text)))
    for _ in range(draw(st.integers(1, 3))):
        messages += [Message(role="user", content=draw(text)), Message(role="assistant", content=draw(text))]
    return Conversation(messages=messages, meta=draw(meta) if with_meta else {})


def write_read(convs: list[Conversation], path: Path, fmt: str, read_fmt: str) -> list[Conversation]:
    with open_writer(path, fmt, SystemPolicy.MERGE) as writer:
        for conv in convs:
            writer.write(conv)
    records = list(read_file(path, read_fmt))
    assert all(not r.findings for r in records), [r.findings for r in records]
    return [r.conversation for r in records]


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(conversations(), min_size=1, max_size=5))
def test_messages_parquet_messages_keeps_everything(convs):
    with tempfile.TemporaryDirectory() as d:
        back = write_read(convs, Path(d) / "a.jsonl", "messages", "messages")
        assert back == convs
        back = write_read(back, Path(d) / "b.parquet", "parquet", "parquet")
        assert back == convs
        assert write_read(back, Path(d) / "c.jsonl", "messages", "auto") == convs


@SETTINGS
@given(st.lists(conversations(system=False), min_size=1, max_size=5))
def test_nanochat_roundtrip_with_meta_sidecar(convs):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "n.jsonl"
        back = write_read(convs, path, "nanochat", "nanochat")
        assert back == convs  # messages from the file, provenance from the sidecar
        assert load_customjson(path) == [c.as_messages() for c in convs]
        sidecar = Path(d) / "n.meta.jsonl"
        if any(c.meta for c in convs):
            assert [json.loads(line) for line in sidecar.read_text(encoding="utf-8").split("\n")[:-1]] == [c.meta for c in convs]
        else:
            assert not sidecar.exists()
        # nanochat -> parquet: provenance travels along
        assert write_read(back, Path(d) / "p.parquet", "parquet", "parquet") == convs


@SETTINGS
@given(st.lists(conversations(), min_size=1, max_size=5))
def test_system_message_merges_into_first_user_turn(convs):
    with tempfile.TemporaryDirectory() as d:
        back = write_read(convs, Path(d) / "n.jsonl", "nanochat", "nanochat")
    for before, after in zip(convs, back, strict=True):
        assert after.as_messages() == before.as_nanochat(SystemPolicy.MERGE)
        if before.messages[0].role == "system":
            assert after.messages[0].content == before.messages[0].content + "\n\n" + before.messages[1].content


@SETTINGS
@given(st.lists(conversations(), min_size=1, max_size=5), st.sampled_from(["human", "user", "HUMAN"]),
       st.sampled_from(["gpt", "assistant", "model", "chatgpt", "GPT"]))
def test_sharegpt_to_nanochat(convs, user_name, assistant_name):
    names = {"user": user_name, "assistant": assistant_name}
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "s.jsonl"
        with open(src, "w", encoding="utf-8") as fh:
            for conv in convs:
                row: dict = {"conversations": [{"from": names[m.role], "value": m.content}
                                               for m in conv.messages if m.role != "system"]}
                if conv.messages[0].role == "system":
                    row["system"] = conv.messages[0].content
                fh.write(json.dumps(row) + "\n")
        back = [r.conversation for r in read_file(src, "sharegpt")]
        assert [c.messages for c in back] == [c.messages for c in convs]
        assert write_read(back, Path(d) / "n.jsonl", "nanochat", "auto") == [
            Conversation(messages=[Message(**m) for m in c.as_nanochat()]) for c in convs]


@SETTINGS
@given(st.lists(st.tuples(text, st.one_of(st.just(""), text), text), min_size=1, max_size=5))
def test_alpaca_to_nanochat(rows):
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "a.jsonl"
        src.write_text("".join(json.dumps({"instruction": i, "input": x, "output": o}) + "\n" for i, x, o in rows),
                       encoding="utf-8")
        back = [r.conversation for r in read_file(src, "auto")]
        assert [c.as_messages() for c in back] == [
            [{"role": "user", "content": f"{i}\n\n{x}" if x.strip() else i}, {"role": "assistant", "content": o}]
            for i, x, o in rows]
