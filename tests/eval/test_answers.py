"""--answers files: the accepted line shapes, matching by id, and mismatches (exit 2, file named)."""

import json

import pytest

from sqlcurate.errors import SqlcurateError
from sqlcurate.eval.evaluate import read_answers
from sqlcurate.eval.items import load_items


@pytest.fixture
def items(tmp_path):
    data = tmp_path / "val.jsonl"
    rows = [[{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"```sql\nSELECT {i}\n```"}] for i in range(3)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return load_items(data)


def test_line_shapes(items, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join([json.dumps("plain"), json.dumps({"answer": "obj"}),
                               json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "conv"}]})]) + "\n")
    assert read_answers(path, items) == ["plain", "obj", "conv"]


def test_match_by_id_in_any_order(items, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps({"id": f"val.jsonl:{n}", "answer": f"a{n}"}) + "\n" for n in (3, 1, 2)))
    assert read_answers(path, items) == ["a1", "a2", "a3"]


@pytest.mark.parametrize(("text", "message"), [
    ('"one"\n"two"\n', "2 answers for 3 eval items"),
    ('"one"\n{"x": 1}\n"three"\n', ":2: EVAL_ANSWERS_MISMATCH expected a string"),
    ('{"id": "val.jsonl:1", "answer": "a"}\n', "no answer for item(s) val.jsonl:2, val.jsonl:3"),
])
def test_mismatch_is_an_error_naming_the_file(items, tmp_path, text, message):
    path = tmp_path / "a.jsonl"
    path.write_text(text)
    with pytest.raises(SqlcurateError) as e:
        read_answers(path, items)
    assert e.value.code == "EVAL_ANSWERS_MISMATCH"
    assert e.value.render().startswith(f"error: {path}:") and message in e.value.render()
