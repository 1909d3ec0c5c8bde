"""`sqlcurate build` as a command: `--format json` prints build_report.json's document (errors too), `--to`
picks the format of train/val."""

from __future__ import annotations

import json

import pytest
from tests.build.conftest import copy_pulled, run_cli

pytestmark = pytest.mark.engine


def test_format_json_prints_the_report_and_to_picks_the_data_format(demo_workspace, tmp_path):
    ws = copy_pulled(demo_workspace, tmp_path)
    out = tmp_path / "curated"
    result = run_cli("build", "--workspace", str(ws), "--out", str(out), "--engine", "none", "--to", "messages",
                     "--format", "json", "--quiet")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report == json.loads((out / "build_report.json").read_text())
    assert report["train"] > 0 and report["train"] == len((out / "train.jsonl").read_text().splitlines())
    first = json.loads((out / "train.jsonl").read_text().splitlines()[0])
    assert isinstance(first, dict) and "messages" in first  # messages rows, not bare nanochat arrays
    assert result.returncode == (1 if report["rejected"] or report["bad_records"] or report["warnings"] else 0)


def test_format_json_answers_errors_as_json(demo_workspace, tmp_path):
    ws = copy_pulled(demo_workspace, tmp_path)
    result = run_cli("build", "--workspace", str(ws), "--engine", "none", "--mix", "general.jsonl:x", "--format", "json")
    assert result.returncode == 2 and result.stderr == ""
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "BUILD_INPUT" and "MIX_BAD_SPEC" in error["message"] and "general.jsonl:x" in error["message"]
