"""sqlcurate: curate company SQL knowledge into nanochat fine-tuning data.

The public API, one function per verb (docs/api.md)::

    import sqlcurate
    report = sqlcurate.validate("train.jsonl", catalog="schemas/")
    report.kept, report.quarantined, report.findings

Attributes load on first use, so ``import sqlcurate`` imports neither sqlglot nor the engine nor torch.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS = {
    "convert": "sqlcurate.api",
    "validate": "sqlcurate.api",
    "transpile": "sqlcurate.api",
    "build": "sqlcurate.api",
    "redact": "sqlcurate.api",
    "stats": "sqlcurate.api",
    "train": "sqlcurate.api",
    "Report": "sqlcurate.api",
    "Finding": "sqlcurate.api",
    "TranspiledStatement": "sqlcurate.api",
    "evaluate": "sqlcurate.eval.evaluate",
    "EvalSettings": "sqlcurate.eval.evaluate",
    "EvalResult": "sqlcurate.eval.evaluate",
    "TrainSettings": "sqlcurate.training",
    "Workspace": "sqlcurate.workspace",
    "SqlcurateError": "sqlcurate.errors",
}
__all__ = [
    "convert", "validate", "transpile", "build", "redact", "stats", "train", "evaluate",
    "Report", "Finding", "TranspiledStatement", "EvalSettings", "EvalResult", "TrainSettings", "Workspace",
    "SqlcurateError", "__version__",
]

if TYPE_CHECKING:
    from sqlcurate.api import (
        Finding,
        Report,
        TranspiledStatement,
        build,
        convert,
        redact,
        stats,
        train,
        transpile,
        validate,
    )
    from sqlcurate.errors import SqlcurateError
    from sqlcurate.eval.evaluate import EvalResult, EvalSettings, evaluate
    from sqlcurate.training import TrainSettings
    from sqlcurate.workspace import Workspace


class _Package(types.ModuleType):
    """Importing the subpackage ``sqlcurate.build`` sets the package's attribute ``build`` to it, which
    would hide the API function ``sqlcurate.build`` (after its first call, which imports the subpackage).
    The function keeps its place; the subpackage stays importable (``from sqlcurate.build import pipeline``)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _EXPORTS and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sqlcurate' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
