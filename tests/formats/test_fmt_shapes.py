"""Common shapes: text parts, the developer role, roles in any case, TRL prompt/completion, other names
through --map or a LLaMA-Factory dataset_info.json, Hugging Face Parquet layouts; and dedupe."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sqlcurate.cli import main
from sqlcurate.errors import SqlcurateError
from sqlcurate.formats.mapping import load_dataset_info, parse_mapping
from sqlcurate.formats.readers import ReadOptions, read_file, to_conversation

QA = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]


def messages(value, fmt="auto", options: ReadOptions | None = None):
    conv, found, read_as = to_conversation(value, fmt, options or ReadOptions())
    assert conv is not None, found
    return conv.as_messages(), read_as


def test_text_parts_developer_and_role_case():
    value = {"messages": [{"role": "Developer", "content": [{"type": "text", "text": "be brief"}]},
                          {"role": "USER", "content": [{"type": "text", "text": "line 1"}, {"type": "input_text", "text": "line 2"}]},
                          {"role": "Assistant", "content": "a"}]}
    assert messages(value)[0] == [{"role": "system", "content": "be brief"}, {"role": "user", "content": "line 1\nline 2"},
                                  {"role": "assistant", "content": "a"}]


def test_sharegpt_with_role_content_tags():
    value = {"conversations": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    assert messages(value) == (QA, "sharegpt")


def test_trl_standard_prompt_completion():
    assert messages({"prompt": "The sky is", "completion": " blue."}) == (
        [{"role": "user", "content": "The sky is"}, {"role": "assistant", "content": " blue."}], "trl")
    conv, found, _ = to_conversation({"prompt": "The sky is"}, "auto")
    assert conv is None and [f.code for f in found] == ["FORMAT_MISSING_FIELD"]


def test_map_option_renames_fields_tags_and_roles():
    mapping = parse_mapping(["messages=dialog", "role_tag=speaker", "content_tag=text", "user_tag=customer",
                             "assistant_tag=agent"])
    value = {"dialog": [{"speaker": "customer", "text": "q"}, {"speaker": "agent", "text": "a"}], "id": 3}
    conv, found, read_as = to_conversation(value, "auto", ReadOptions(mapping))
    assert found == [] and read_as == "messages" and conv.as_messages() == QA and conv.meta == {"id": 3}
    with pytest.raises(SqlcurateError) as err:
        parse_mapping(["colour=x"])
    assert err.value.code == "MAP_BAD_SPEC"


def test_dataset_info_entry_maps_like_llamafactory(tmp_path):
    info = tmp_path / "dataset_info.json"
    info.write_text(json.dumps({"mine": {"file_name": "x.json", "formatting": "sharegpt",
                                         "columns": {"messages": "turns", "system": "sys"},
                                         "tags": {"role_tag": "who", "content_tag": "says", "user_tag": "me", "assistant_tag": "bot"}}}))
    mapping = load_dataset_info(info, "mine")
    value = {"turns": [{"who": "me", "says": "q"}, {"who": "bot", "says": "a"}], "sys": "s"}
    assert messages(value, "auto", ReadOptions(mapping)) == ([{"role": "system", "content": "s"}, *QA], "sharegpt")


def test_cli_map_file_and_map(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"dialog": QA}) + "\n")
    result = CliRunner().invoke(main, ["convert", "--map", "messages=dialog", str(src), str(tmp_path / "o.jsonl")])
    assert result.exit_code == 0 and json.loads((tmp_path / "o.jsonl").read_text()) == QA
    result = CliRunner().invoke(main, ["convert", "--map", "nonsense", str(src), str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2 and "error: MAP_BAD_SPEC" in result.stderr


def test_hugging_face_parquet_layouts(tmp_path):
    import polars as pl

    sharegpt = tmp_path / "hf.parquet"
    pl.DataFrame({"conversations": [[{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]],
                  "id": ["r1"]}).write_parquet(sharegpt)
    alpaca = tmp_path / "alpaca.parquet"
    pl.DataFrame({"instruction": ["q"], "input": [""], "output": ["a"]}).write_parquet(alpaca)
    images = tmp_path / "vl.parquet"
    pl.DataFrame({"messages": [QA], "images": [["1.jpg"]]}).write_parquet(images)
    for path in (sharegpt, alpaca):
        (record,) = read_file(path, "auto")
        assert record.conversation.as_messages() == QA
    (record,) = read_file(sharegpt, "parquet")
    assert record.conversation.meta == {"id": "r1"}
    (record,) = read_file(images, "auto")
    assert record.conversation is None and [f.code for f in record.findings] == ["MEDIA_UNSUPPORTED"]
    # Arrow, recognised by content whatever the name: an IPC file, and the stream `datasets.save_to_disk` writes
    frame = pl.DataFrame({"messages": [QA, QA]})
    frame.write_ipc(tmp_path / "data.arrow")
    frame.write_ipc_stream(tmp_path / "data-00000-of-00001.bin")
    for name in ("data.arrow", "data-00000-of-00001.bin"):
        records = list(read_file(tmp_path / name, "auto"))
        assert [(r.line, r.conversation.as_messages()) for r in records] == [(1, QA), (2, QA)], name


@pytest.mark.parametrize(("mode", "kept", "code"), [("exact", 2, "DEDUPE_EXACT"), ("normalized", 1, "DEDUPE_NORMALIZED")])
def test_dedupe_on_validate_and_convert(mode, kept, code, tmp_path):
    src = tmp_path / "in.jsonl"
    row = {"messages": [{"role": "user", "content": "How many orders?"}, {"role": "assistant", "content": "SELECT 1"}]}
    loud = {"messages": [{"role": "user", "content": "HOW many   orders?"}, {"role": "assistant", "content": "select 1"}]}
    src.write_text((json.dumps(row) + "\n") * 1000 + json.dumps(loud) + "\n")
    for args in (["convert", "--dedupe", mode, str(src)], ["validate", "--no-sql", "--dedupe", mode, str(src), "--out"]):
        out = tmp_path / "o.jsonl"
        result = CliRunner().invoke(main, [*args, str(out), "--format", "json"])
        summary = json.loads(result.stdout)
        assert (summary["kept"], summary["quarantined"]) == (kept, 1001 - kept)
        assert summary["codes"][code]["count"] == 1001 - kept
        assert len(out.read_text().splitlines()) == kept
