"""CLI conventions of `sqlcurate` (cli.py): did-you-mean for verbs, --quiet, --max-diagnostics, errors as
JSON under --format json, project defaults from sqlcurate.toml / [tool.sqlcurate], an example in every
--help, shell completion. In-process through click's CliRunner, on `eval --engine none` (no engine, no
model: answers files scored statically)."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from sqlcurate.cli import VERBS, main

SCHEMA = "CREATE TABLE shop.users (id UInt32, name String, signup Date) ENGINE = MergeTree ORDER BY id;\n"
GOLD = [("How many users?", "SELECT count() FROM shop.users"),
        ("Newest user?", "SELECT name FROM shop.users ORDER BY signup DESC LIMIT 1"),
        ("All names?", "SELECT name FROM shop.users")]
ANSWERS = ["SELECT TOP 1 name FROM shop.users", "SELECT name FROM shop.people", "no idea"]


@pytest.fixture
def shop(tmp_path, monkeypatch):
    """An eval set, its catalog and answers that fail three ways (dialect, unknown table, no SQL)."""
    (tmp_path / "schema.sql").write_text(SCHEMA)
    (tmp_path / "eval.jsonl").write_text("".join(json.dumps(
        [{"role": "user", "content": q}, {"role": "assistant", "content": f"```sql\n{sql}\n```"}]) + "\n" for q, sql in GOLD))
    (tmp_path / "answers.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ANSWERS))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="sqlcurate", catch_exceptions=False)


EVAL = ("eval", "--answers", "answers.jsonl", "--data", "eval.jsonl", "--engine", "none")


def test_mistyped_verb_suggests_the_closest_and_exits_2():
    result = cli("valdate", "x.jsonl")
    assert result.exit_code == 2
    assert "No such command 'valdate'. Did you mean 'validate'?" in result.stderr
    result = cli("pull", "clickhose")
    assert result.exit_code == 2 and "Did you mean 'clickhouse'?" in result.stderr
    result = cli("zzzz")
    assert result.exit_code == 2 and "No such command 'zzzz'." in result.stderr and "Did you mean" not in result.stderr


def test_quiet_silences_progress_not_results(shop):
    loud = cli(*EVAL, "--catalog", "schema.sql", "--out", "r.json")
    assert loud.exit_code == 0, loud.stderr
    assert "report: r.json" in loud.stderr and "SQL eval" in loud.stdout
    for quiet in (cli("--quiet", *EVAL, "--catalog", "schema.sql", "--out", "r.json"),
                  cli(*EVAL, "-q", "--catalog", "schema.sql", "--out", "r.json")):
        assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == loud.stdout


def test_max_diagnostics_caps_and_counts_the_rest(shop):
    full = cli(*EVAL, "--catalog", "schema.sql", "--items")
    lines = [x for x in full.stdout.splitlines() if x.startswith("[answers] ")]
    assert len(lines) == 4 and lines[0].startswith("[answers] eval.jsonl:1: ")
    capped = cli(*EVAL, "--catalog", "schema.sql", "--items", "--max-diagnostics", "1")
    shown = [x for x in capped.stdout.splitlines() if x.startswith("[answers] ")]
    assert shown == lines[:1]
    assert f"... {len(lines) - 1} more diagnostic(s) not shown (--max-diagnostics 1)" in capped.stdout
    assert cli("--max-diagnostics", "0", *EVAL, "--catalog", "schema.sql", "--items").stdout.count("[answers] ") == 0


def test_errors_are_json_when_json_was_asked_for(shop):
    plain = cli(*EVAL)  # --data without --catalog
    assert plain.exit_code == 2 and plain.stdout == ""
    assert plain.stderr.startswith("error: EVAL_USAGE --data needs --catalog")
    as_json = cli(*EVAL, "--format", "json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout) == {"error": {"code": "EVAL_USAGE", "message": plain.stderr.strip().split(" ", 2)[2]}}
    usage = cli("stats", "--format=json")  # a click usage error: FILE missing
    assert usage.exit_code == 2 and json.loads(usage.stdout)["error"]["code"] == "USAGE"
    assert "FILE" in json.loads(usage.stdout)["error"]["message"]
    assert "Usage:" in cli("stats").stderr  # without --format json, click's usual usage text


def test_format_json_prints_the_report(shop):
    result = cli(*EVAL, "--catalog", "schema.sql", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [v["outcome"] for v in report["runs"][0]["items"]] == ["EVAL_DIALECT", "EVAL_UNGROUNDED", "EVAL_NO_SQL"]


def test_project_defaults_from_sqlcurate_toml(shop):
    assert cli(*EVAL[:-2]).exit_code == 2  # no --catalog, engine chdb: a usage error without the file
    (shop / "sqlcurate.toml").write_text('catalog = "schema.sql"\nengine = "none"\n')
    result = cli("eval", "--answers", "answers.jsonl", "--data", "eval.jsonl", "--format", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    settings = json.loads(result.stdout)["settings"]
    assert settings["catalog"] == str(shop / "schema.sql") and settings["engine"] == "none"
    # the command line still wins over the file
    (shop / "other.sql").write_text(SCHEMA)
    result = cli("eval", "--answers", "answers.jsonl", "--data", "eval.jsonl", "--catalog", "other.sql", "--format", "json")
    assert json.loads(result.stdout)["settings"]["catalog"] == "other.sql"


def test_project_defaults_from_a_parent_pyproject_and_bad_keys(shop, monkeypatch):
    (shop / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.sqlcurate]\ncatalog = "schema.sql"\nengine = "none"\n')
    (shop / "sub").mkdir()
    monkeypatch.chdir(shop / "sub")
    result = cli("eval", "--answers", "../answers.jsonl", "--data", "../eval.jsonl", "--format", "json")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["settings"]["catalog"] == str(shop / "schema.sql")
    (shop / "sub" / "sqlcurate.toml").write_text('catalogue = "schema.sql"\n')
    result = cli("eval", "--answers", "../answers.jsonl", "--data", "../eval.jsonl")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: CONFIG_INVALID {shop / 'sub' / 'sqlcurate.toml'}: unknown key(s) catalogue")


@pytest.mark.parametrize("verb", list(VERBS))
def test_every_verb_help_has_an_example(verb):
    result = cli(verb, "--help")
    assert result.exit_code == 0
    examples = result.stdout.split("Examples:", 1)[1]
    assert f"sqlcurate {verb}" in examples
    assert "--quiet" in result.stdout and "--max-diagnostics" in result.stdout


def test_shell_completion_completes_verbs():
    env = {"_SQLCURATE_COMPLETE": "bash_complete", "COMP_WORDS": "sqlcurate val", "COMP_CWORD": "1"}
    result = CliRunner().invoke(main, [], prog_name="sqlcurate", env=env)
    assert "plain,validate" in result.stdout.splitlines()
    source = CliRunner().invoke(main, [], prog_name="sqlcurate", env={"_SQLCURATE_COMPLETE": "bash_source"})
    assert "_SQLCURATE_COMPLETE=bash_complete" in source.stdout


def test_a_project_tokenizer_does_not_break_validate(shop):
    # validate's --tokenizer needs --max-tokens with it, so the project default leaves it alone
    (shop / "sqlcurate.toml").write_text('tokenizer = "no-such-dir"\n')
    result = cli("validate", "--no-sql", "eval.jsonl", "--format", "json")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["kept"] == 3


def test_pull_docs_and_chat_answer_as_json(tmp_path, nanochat_fixtures):
    (tmp_path / "kb.md").write_text("# Users\n\nOne row per user.\n\n## Signup\n\nThe signup date, UTC.\n")
    result = cli("pull", "docs", str(tmp_path / "kb.md"), "--workspace", str(tmp_path / "ws"), "--format", "json")
    assert result.exit_code == 0, result.stderr
    pulled = json.loads(result.stdout)
    assert pulled["sections"] == 2 and pulled["problems"] == []
    assert pulled["records_path"] == str(tmp_path / "ws" / "training_data" / "raw" / "docs.jsonl")
    result = cli("chat", "--checkpoint", str(nanochat_fixtures / "base_checkpoints" / "d2"), "--source", "base",
                 "--tokenizer", str(nanochat_fixtures / "tokenizer"), "-p", "How many users?", "--max-tokens", "3",
                 "--format", "json", "--quiet")
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["step"] == 7 and answer["checkpoint"].endswith("d2") and isinstance(answer["answer"], str)
    assert result.stderr == ""  # --quiet: not even the "which checkpoint and why" line


def test_max_diagnostics_caps_what_the_streaming_loops_write_to_stderr(shop):
    bad = shop / "bad.jsonl"
    bad.write_text("".join(f'{{"broken {i}\n' for i in range(5)))
    full = cli("validate", "--no-sql", str(bad), "--format", "json")
    assert full.exit_code == 1 and full.stderr.count(": LINE_INVALID_JSON ") == 5
    for args in (("validate", "--max-diagnostics", "2"), ("--max-diagnostics", "2", "validate")):
        capped = cli(*args, "--no-sql", str(bad), "--format", "json")
        summary = json.loads(capped.stdout)  # the summary still counts all five
        assert capped.exit_code == 1 and summary["quarantined"] == 5 and summary["codes"]["LINE_INVALID_JSON"]["count"] == 5
        lines = capped.stderr.splitlines()
        assert lines == [*full.stderr.splitlines()[:2], "... 3 more diagnostic(s) not shown (--max-diagnostics 2)"]


def test_project_workspace_reaches_pull_subcommands(tmp_path, monkeypatch):
    (tmp_path / "kb.md").write_text("# Users\n\nOne row per user.\n")
    (tmp_path / "sqlcurate.toml").write_text('workspace = "ws"\n')
    monkeypatch.chdir(tmp_path)
    result = cli("pull", "docs", "kb.md", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["records_path"] == str(tmp_path / "ws" / "training_data" / "raw" / "docs.jsonl")
    assert (tmp_path / "ws" / "training_data" / "raw" / "docs.jsonl").is_file()


def test_quiet_silences_the_notes_of_convert_but_not_its_rows_or_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    row = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "SELECT 1"}],
           "meta": {"source": "x"}}
    (tmp_path / "a.jsonl").write_text(json.dumps(row) + "\n")
    loud, quiet = cli("convert", "a.jsonl", "-"), cli("convert", "-q", "a.jsonl", "-")
    assert loud.exit_code == quiet.exit_code == 0
    assert "note: rows carried provenance" in loud.stderr and "note:" not in quiet.stderr
    assert quiet.stdout == loud.stdout and json.loads(quiet.stdout)[1]["content"] == "SELECT 1"
    assert "1 kept" in quiet.stderr  # the report is a result (on stderr here, as the rows hold stdout)


@pytest.mark.parametrize("verb", ["build", "convert", "validate", "transpile", "redact", "stats", "eval", "chat"])
def test_verbs_with_a_summary_offer_format_json(verb):
    with click.Context(main) as ctx:
        command = main.get_command(ctx, verb)
    fmt = next(p for p in command.params if "--format" in getattr(p, "opts", ()))
    assert "json" in fmt.type.choices
