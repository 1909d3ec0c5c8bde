"""Fixtures for the conversation-file tests (data and helpers live in fmt_helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# the helpers module sits beside this file; make it importable under any pytest import mode
sys.path.insert(0, str(Path(__file__).parent))
from fmt_helpers import MIXED_LINES  # noqa: E402


@pytest.fixture
def mixed_file(tmp_path) -> Path:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"".join(raw + b"\n" for raw, _, _ in MIXED_LINES))
    return path
