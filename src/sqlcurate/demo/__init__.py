"""The demo workspace: a DEX-trading warehouse on the embedded ClickHouse, with a real query log."""

from sqlcurate.demo.workspace import SeededWorkspace, seed_workspace

__all__ = ["SeededWorkspace", "seed_workspace"]
