"""The reference values were computed with one torch thread; these tiny models gain nothing from more."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    yield
