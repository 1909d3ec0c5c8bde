"""The one shape every problem takes: a stable reason code and a human message.

Codes are UPPER_SNAKE words, stable across releases (scripts and quarantine files key on them).
Each module that can raise a finding declares its codes in a ``CODES`` dict (code -> one-line meaning);
``all_codes()`` gathers them so docs and tests can check that codes are unique and documented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str
    severity: Severity = "error"

    def render(self, path: str, line: int) -> str:
        """The diagnostic line users see: ``path:line: CODE message``."""
        return f"{path}:{line}: {self.code} {self.message}"
