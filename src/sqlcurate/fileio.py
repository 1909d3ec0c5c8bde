"""Atomic writes and the never-overwrite-the-input rule, shared by every writer."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class InputOverwriteError(ValueError):
    pass


def refuse_overwrite(output: Path, inputs: list[Path]) -> None:
    """Raise if ``output`` is the same file as any input (also through links or other spellings)."""
    if not output.exists():
        return
    for inp in inputs:
        if inp.exists() and os.path.samefile(inp, output):
            raise InputOverwriteError(f"{output}: refusing to write over the input file {inp}")


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Write to a temporary file beside ``path`` and rename it into place only on success, so a crash
    or an error never leaves a half-written output."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else encoding, newline=None if "b" in mode else "") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
