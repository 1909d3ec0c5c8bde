"""CI runs the README's test command once, from a fresh clone in a temporary directory (nothing beside the clone)."""

from __future__ import annotations

import re

from tests.conftest import REPO


def test_ci_runs_the_readme_test_command_in_a_fresh_clone():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"^```\n(.*?)^```", readme, re.S | re.M).group(1).splitlines()
    test_command = first_block[1]
    assert test_command.startswith("python -m pytest")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    steps = [line for line in ci if line and not line.startswith("#")]
    clone, move = steps.index('git clone --quiet "$PWD" "$clone"'), steps.index('cd "$clone"')
    assert 'clone="$(mktemp -d)/sqlcurate"' in steps[:clone]
    assert clone < move < steps.index(test_command)  # installs and tests happen inside the clone
    assert steps.count(test_command) == 1
