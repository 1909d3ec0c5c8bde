"""``ValidateSettings``: the one owner of validate's option rules, spelled as the CLI and the API spell them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import sqlcurate
from sqlcurate.cli import main
from sqlcurate.formats.pipeline import ValidateSettings


def cli_spelling(name: str) -> str:
    return "--" + name.replace("_", "-")


@pytest.mark.parametrize(("settings", "writes_output", "problem"), [
    (ValidateSettings(fix=True), False, "--fix writes the fixed rows, so it needs --out"),
    (ValidateSettings(engine="chdb"), True, "--engine needs --catalog (the tables the queries run against)"),
    (ValidateSettings(tokenizer=Path("tok")), True, "--tokenizer and --max-tokens go together"),
    (ValidateSettings(max_tokens=5), True, "--tokenizer and --max-tokens go together"),
    (ValidateSettings(fix=True, engine="chdb", catalog=Path("c.sql")), True, None),
])
def test_usage_problems(settings, writes_output, problem):
    assert settings.usage_problem(writes_output, cli_spelling) == problem


def test_a_changes_file_only_when_a_fixer_writes_an_output():
    truncating = ValidateSettings(tokenizer=Path("tok"), max_tokens=5, over_length="truncate")
    assert truncating.writes_changes(True) and not truncating.writes_changes(False)
    assert not ValidateSettings(tokenizer=Path("tok"), max_tokens=5).writes_changes(True)
    assert ValidateSettings(redact=True).writes_changes(True) and ValidateSettings(fix=True).writes_changes(True)
    assert not ValidateSettings().writes_changes(True)


def test_cli_and_api_refuse_the_same_settings_each_in_its_own_words(tmp_path):
    data = tmp_path / "x.jsonl"
    data.write_text('[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]\n')
    result = CliRunner().invoke(main, ["validate", "--max-tokens", "5", str(data)])
    assert result.exit_code == 2 and "--tokenizer and --max-tokens go together" in result.output
    with pytest.raises(sqlcurate.SqlcurateError) as e:
        sqlcurate.validate(data, max_tokens=5)
    assert e.value.code == "API_USAGE" and e.value.message == "tokenizer= and max_tokens= go together"
    assert not list(tmp_path.glob("x.*.jsonl"))  # refused before anything was written
