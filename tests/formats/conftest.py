"""Fixtures for the conversation-file tests (data and helpers live in fmt_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fmt_helpers import MIXED_LINES


@pytest.fixture
def mixed_file(tmp_path) -> Path:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"".join(raw + b"\n" for raw, _, _ in MIXED_LINES))
    return path
