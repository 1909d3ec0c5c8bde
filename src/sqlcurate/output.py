"""What commands print besides their results: progress lines (silenced by ``--quiet``) and diagnostics
(capped by ``--max-diagnostics N``, with a count of the rest). ``sqlcurate.cli`` adds both options to
every verb and stores them in the click context; outside a command (the Python API) nothing is silenced
or capped.

Diagnostics reach the user two ways: through ``diagnostics()`` here, or written straight to stderr by the
streaming loops (``path:line: CODE message`` as each row is read). ``cap_stderr`` caps the second kind
for the whole command, so every verb honours ``--max-diagnostics`` without each loop knowing of it.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

import click

QUIET = "sqlcurate.quiet"
MAX_DIAGNOSTICS = "sqlcurate.max_diagnostics"


def _setting(key: str):
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(key) if ctx is not None else None


DIAGNOSTIC = re.compile(r"^\S.*?:\d+: [A-Z][A-Z0-9_]+ ")  # `path:line: CODE message`


def _left_out_line(count: int, limit: int) -> str:
    return f"... {count} more diagnostic(s) not shown (--max-diagnostics {limit})"


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
        click.echo(_left_out_line(left_out, limit), err=err)
    return left_out


class _CappedStream:
    """A text stream that passes everything through except diagnostic lines past the first ``limit``."""

    def __init__(self, stream: TextIO, limit: int) -> None:
        self.stream, self.limit = stream, limit
        self.shown = self.left_out = 0
        self.pending = ""  # a line written in pieces (print() writes the text, then the newline)

    def write(self, text: str) -> int:
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()
        for line in lines:
            self._line(line + "\n")
        return len(text)

    def _line(self, line: str) -> None:
        if DIAGNOSTIC.match(line):
            if self.shown >= self.limit:
                self.left_out += 1
                return
            self.shown += 1
        self.stream.write(line)

    def close_out(self) -> None:
        if self.pending:
            self._line(self.pending)
        if self.left_out:
            self.stream.write(_left_out_line(self.left_out, self.limit) + "\n")
        self.stream.flush()

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str):  # encoding, errors, isatty, fileno: the real stream's
        if name == "buffer":  # writers that bypass the text layer would bypass the cap too
            raise AttributeError(name)
        return getattr(self.stream, name)


@contextlib.contextmanager
def cap_stderr(limit: int) -> Iterator[None]:
    """Within the block, stderr shows at most ``limit`` diagnostic lines, then one line counting the rest."""
    capped = _CappedStream(sys.stderr, limit)
    sys.stderr = capped
    try:
        yield
    finally:
        sys.stderr = capped.stream
        capped.close_out()
