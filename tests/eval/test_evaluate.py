"""The eval library (eval/evaluate.py): one declaration of the settings, checked against the command's
options, and impossible inputs refused before anything loads."""

from __future__ import annotations

import dataclasses

import pytest

from sqlcurate.commands.eval import eval_
from sqlcurate.errors import SqlcurateError
from sqlcurate.eval.evaluate import EvalSettings, evaluate


def test_every_setting_is_an_option_with_the_same_default():
    defaults = eval_.make_context("eval", []).params  # what the command gets when no option is given
    for f in dataclasses.fields(EvalSettings):
        assert f.name in defaults, f"EvalSettings.{f.name} has no `sqlcurate eval` option"
        assert defaults[f.name] == f.default, f.name


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "give at least one --checkpoint or --answers"),
    ({"answers": ["a.jsonl"]}, "give --data (SQL eval items) and/or --retention"),
    ({"answers": ["a.jsonl"], "data": "d.jsonl"}, "--data needs --catalog"),
    ({"answers": ["a.jsonl"], "data": "d.jsonl", "catalog": "c.sql",
      "settings": EvalSettings(workspace="w", sample_data="s")}, "give --workspace or --sample-data, not both"),
    ({"answers": ["a.jsonl"], "data": "d.jsonl", "catalog": "c.sql", "settings": EvalSettings(workspace="w", engine="none")},
     "--workspace/--sample-data need --engine chdb"),
    ({"answers": ["a.jsonl"], "retention": ["mc.jsonl"]}, "--retention needs a --checkpoint"),
    ({"answers": ["a.jsonl"], "data": "d.jsonl", "catalog": "c.sql", "labels": ["x", "y"]}, "more --label values than runs"),
])
def test_impossible_inputs_are_refused_before_reading_anything(kwargs, message):
    # none of these files exist: the combination is refused first
    with pytest.raises(SqlcurateError) as e:
        evaluate(**kwargs)
    assert e.value.code == "EVAL_USAGE" and message in e.value.message
