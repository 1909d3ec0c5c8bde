"""Every eval reason code is declared once and documented in docs/eval.md."""

import importlib

MODULES = ["sqlcurate.eval.scoring", "sqlcurate.eval.runner", "sqlcurate.eval.compare", "sqlcurate.eval.items",
           "sqlcurate.eval.sampledata", "sqlcurate.eval.retention", "sqlcurate.eval.evaluate"]


def test_codes_unique_prefixed_and_documented(repo):
    docs = (repo / "docs" / "eval.md").read_text()
    seen: dict[str, str] = {}
    for name in MODULES:
        for code in importlib.import_module(name).CODES:
            assert code.startswith("EVAL_") and code.isupper(), code
            assert code not in seen, f"{code} declared in {seen[code]} and {name}"
            seen[code] = name
            assert f"`{code}`" in docs, f"{code} ({name}) is not documented in docs/eval.md"


def test_outcomes_are_declared_codes():
    from sqlcurate.eval import compare, runner, scoring
    from sqlcurate.sql import sandbox

    declared = set(scoring.CODES) | set(runner.CODES) | set(compare.CODES) | set(sandbox.CODES)
    assert set(scoring.OUTCOME_ORDER) <= declared
