"""What commands print besides their results: progress lines (silenced by ``--quiet``) and diagnostics
(capped by ``--max-diagnostics N``, with a count of the rest). ``sqlcurate.cli`` adds both options to
every verb and stores them in the click context; outside a command (the Python API) nothing is silenced
or capped.
"""

from __future__ import annotations

from collections.abc import Iterable

import click

QUIET = "sqlcurate.quiet"
MAX_DIAGNOSTICS = "sqlcurate.max_diagnostics"


def _setting(key: str):
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(key) if ctx is not None else None


def quiet() -> bool:
    return bool(_setting(QUIET))


def info(message: str) -> None:
    """A progress line on stderr, unless ``--quiet``."""
    if not quiet():
        click.echo(message, err=True)


def diagnostics(lines: Iterable[str], *, err: bool = False) -> int:
    """Print ``path:line: CODE message`` lines up to ``--max-diagnostics``, then one line counting the
    rest. Returns how many were left out."""
    limit = _setting(MAX_DIAGNOSTICS)
    left_out = 0
    for n, line in enumerate(lines):
        if limit is not None and n >= limit:
            left_out += 1
            continue
        click.echo(line, err=err)
    if left_out:
        click.echo(f"... {left_out} more diagnostic(s) not shown (--max-diagnostics {limit})", err=err)
    return left_out
