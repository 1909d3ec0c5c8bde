#!/usr/bin/env bash
# Sets up the local BigQuery emulator (local-bigquery on Python 3.13) in .venv-bq/, idempotently.
# The tests in tests/connectors/ start it on a free loopback port; this script only installs it.
# Its DuckDB extensions come from PyPI wheels (duckdb-extension-*), loaded offline, because the
# machines running CI cannot download DuckDB's extension binaries at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-bq
PACKAGES=(
  "local-bigquery==0.3.2"
  "duckdb==1.5.5"
  "duckdb-extensions==1.5.5"
  "duckdb-extension-icu==1.5.5"
  "duckdb-extension-ducklake==1.5.5"
  "duckdb-extension-spatial==1.5.5"
)
find_python() {
  for candidate in "${SQLCURATE_BQ_PYTHON:-}" python3.13 "$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python3"; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
       && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "bigquery_emulator.sh: Python 3.13 not found (set SQLCURATE_BQ_PYTHON)" >&2
  return 1
}
STAMP="$VENV/.sqlcurate-packages"
if ! { [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "${PACKAGES[*]}" ]; }; then
  PY=$(find_python)
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PACKAGES[@]}" 2>&1 \
    | { grep -v "^WARNING: Location" || true; }
  echo "${PACKAGES[*]}" > "$STAMP"
fi
# INSTALL each extension from its wheel into DuckDB's extension directory (a no-op when already there),
# so the emulator's own INSTALL/LOAD and ducklake ATTACH find them without a download.
"$VENV/bin/python" -c '
from duckdb_extensions import import_extension
for name in ("icu", "ducklake", "spatial"):
    import_extension(name)
'
echo "bigquery_emulator.sh: emulator ready in $VENV"
