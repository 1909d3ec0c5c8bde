#!/usr/bin/env bash
# The built wheel alone runs the demo: build it, install it into a fresh virtual environment, and run
# `sqlcurate demo` from an empty directory. The venv sees the system site-packages (torch, chdb are not
# installed again) and the wheel goes in with --no-deps; the check below makes sure the venv imports the
# wheel's sqlcurate, not the editable checkout. One short epoch: this proves the package data, the demo's
# effect is tested by tests/test_demo.py.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset PYTHONPATH
python3 -m pip wheel -q --no-deps --no-build-isolation -w "$tmp/dist" "$repo"
python3 -m venv --system-site-packages "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --no-deps "$tmp"/dist/sqlcurate-*.whl
mkdir "$tmp/empty"
cd "$tmp/empty"
"$tmp/venv/bin/python" - "$tmp/venv" <<'PY'
import sys
from pathlib import Path

import nanochat
import sqlcurate

venv = Path(sys.argv[1]).resolve()
for module in (sqlcurate, nanochat):
    where = Path(module.__file__).resolve()
    assert venv in where.parents, f"{module.__name__} imported from {where}, not from the installed wheel"
print(f"sqlcurate from the wheel: {Path(sqlcurate.__file__).parent}")
PY
"$tmp/venv/bin/sqlcurate" demo --workspace demo --epochs 1 --max-tokens 8
test -f demo/eval.json
