"""Atomic writes, output sets committed together, and the never-overwrite-the-input rule.

- ``atomic_open(path)``: one file, written beside its final name and renamed into place on success.
- ``OutputSet``: the files of one run (output, quarantine, provenance, change log) appear together or not at
  all. Each is staged beside its final name; ``commit`` first writes a journal naming every rename and
  removal, then performs them, then deletes the journal. A run killed between two renames leaves the
  journal behind, and the next run that writes there finishes the commit before anything else
  (``recover``), so no reader of our tools ever sees a new output beside an old quarantine.
- Staged names carry the writer's pid (``.train.jsonl.sqlcurate-<pid>-<rand>.tmp``, ``....parts``): leftovers
  of a process that no longer exists are removed by the next run in that directory.
- Files are created with the mode the umask allows (``0o666 & ~umask``), as ``open`` would, not ``mkstemp``'s
  0600.
- ``-`` is standard output: streamed, so not atomic; the caller says so in its docs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from sqlcurate.errors import SqlcurateError

STDIO = "-"
_TAG = "sqlcurate"
_STAGED = re.compile(rf"^\..+\.{_TAG}-(\d+)-[0-9a-f]+\.(tmp|parts|commit\.json)$")


class InputOverwriteError(SqlcurateError, ValueError):
    code = "OUTPUT_IS_INPUT"

    def __init__(self, message: str):
        super().__init__(None, message)


class OutputWriteError(SqlcurateError):
    """Writing an output failed (a full disk, a quota, a file size limit): nothing of the run was committed."""

    code = "OUTPUT_WRITE_FAILED"

    def __init__(self, message: str):
        super().__init__(None, message)


def is_stdio(path: Path | str) -> bool:
    return str(path) == STDIO


def refuse_overwrite(output: Path, inputs: list[Path]) -> None:
    """Raise if ``output`` is the same file as any input (also through links or other spellings)."""
    if is_stdio(output) or not Path(output).exists():
        return
    for inp in inputs:
        if not is_stdio(inp) and Path(inp).exists() and os.path.samefile(inp, output):
            raise InputOverwriteError(f"{output}: refusing to write over the input file {inp}")


def _umask() -> int:
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)  # no /proc: the only portable read sets it, so put it straight back
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _staged_name(final: Path, kind: str) -> Path:
    return final.with_name(f".{final.name}.{_TAG}-{os.getpid()}-{secrets.token_hex(4)}.{kind}")


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be opened for fsync
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def recover(directory: Path) -> None:
    """Finish the commits that dead runs left half done in ``directory``, then remove their staged files."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    staged = [(n, m) for n in names if (m := _STAGED.match(n)) and not _pid_alive(int(m.group(1)))]
    for name, m in staged:
        if m.group(2) == "commit.json":
            _roll_forward(Path(directory) / name)
    for name, m in staged:
        path = Path(directory) / name
        if m.group(2) == "parts":
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _roll_forward(journal: Path) -> None:
    try:
        plan = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # a journal cut short was never acted on: its staged files just go
        return
    for staged, final in plan.get("rename", []):
        if os.path.exists(staged):
            os.replace(staged, final)
    for stale in plan.get("remove", []):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(stale)


class OutputSet:
    """Files written together: ``open`` each, then ``commit`` (all appear) or ``abort`` (none do)."""

    def __init__(self, inputs: list[Path] | None = None):
        self.inputs = [Path(p) for p in inputs or []]
        self._staged: list[tuple[Path, Path, IO]] = []  # (staged, final, handle)
        self._dirs: list[Path] = []
        self._remove: list[Path] = []
        self._stdout: IO | None = None
        self._recovered: set[Path] = set()
        self.done = False

    def _prepare(self, final: Path) -> None:
        refuse_overwrite(final, self.inputs)
        final.parent.mkdir(parents=True, exist_ok=True)
        parent = final.parent.resolve()
        if parent not in self._recovered:
            self._recovered.add(parent)
            recover(parent)

    def open(self, path: Path | str, mode: str = "w") -> IO:
        """A handle whose content appears at ``path`` on ``commit``; ``-`` streams to standard output."""
        if is_stdio(path):
            self._stdout = sys.stdout.buffer if "b" in mode else sys.stdout
            return self._stdout
        final = Path(path)
        self._prepare(final)
        staged = _staged_name(final, "tmp")
        fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 & ~_umask())
        # newline="" keeps "\n" as written; surrogates are escaped by the JSON writers, never written raw
        fh = os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8", newline=None if "b" in mode else "")
        self._staged.append((staged, final, fh))
        return fh

    def staging_dir(self, path: Path) -> Path:
        """A scratch directory beside ``path`` (e.g. Parquet part files), removed on commit or abort."""
        final = Path(path)
        self._prepare(final)
        directory = _staged_name(final, "parts")
        directory.mkdir()
        self._dirs.append(directory)
        return directory

    def remove_on_commit(self, path: Path) -> None:
        """A stale file of an earlier run (e.g. a quarantine this run does not write) goes with the commit."""
        if not is_stdio(path):
            self._remove.append(Path(path))

    def discard(self, path: Path) -> None:
        """Drop one staged file from the set (an empty side file that is not wanted)."""
        for entry in [e for e in self._staged if e[1] == Path(path)]:
            self._staged.remove(entry)
            with contextlib.suppress(OSError):
                entry[2].close()
            entry[0].unlink(missing_ok=True)

    def commit(self) -> None:
        if self.done:
            return
        self.done = True
        try:
            for _, _, fh in self._staged:
                fh.flush()
                os.fsync(fh.fileno())
                fh.close()
            if self._stdout is not None:
                self._stdout.flush()
            if self._staged or self._remove:
                self._apply()
        except OSError as e:
            self._cleanup()
            # a failed rename names the staged file first and the destination second: show the destination
            raise OutputWriteError(f"{e.filename2 or e.filename or 'output'}: {e.strerror or e}") from None
        self._cleanup()

    def _apply(self) -> None:
        for _, final, _ in self._staged:  # what a rename would refuse, refused before anything moves
            if final.is_dir():
                raise IsADirectoryError(21, "Is a directory", str(final))
        first = self._staged[0][1] if self._staged else self._remove[0]
        journal = _staged_name(first, "commit.json")
        plan = {"rename": [[str(s.resolve()), str(f.resolve())] for s, f, _ in self._staged],
                "remove": [str(p.resolve()) for p in self._remove if p.exists()]}
        with open(journal, "w", encoding="utf-8") as fh:
            json.dump(plan, fh)
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(journal.parent)
        try:
            for staged, final in plan["rename"]:
                os.replace(staged, final)
            for stale in plan["remove"]:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(stale)
        except OSError:
            journal.unlink(missing_ok=True)  # a live failure is reported now; only a crash is rolled forward
            raise
        for directory in {Path(f).parent for _, f in plan["rename"]}:
            _fsync_dir(directory)
        journal.unlink()
        self._staged = []

    def abort(self) -> None:
        self.done = True
        self._cleanup()

    def _cleanup(self) -> None:
        for staged, _, fh in self._staged:
            with contextlib.suppress(OSError):
                fh.close()
            staged.unlink(missing_ok=True)
        self._staged = []
        for directory in self._dirs:
            shutil.rmtree(directory, ignore_errors=True)
        self._dirs = []


class OutputSetMember:
    """A writer whose files are staged in an ``OutputSet``: the run's shared one, or its own, which it
    commits on ``close``. Subclasses write; ``finish`` is their last word before the set commits."""

    def __init__(self, files: OutputSet | None, inputs: list[Path] | None = None):
        self.owns_files = files is None
        self.files = files if files is not None else OutputSet(inputs)

    def finish(self) -> None:
        """Last writes before the set commits (flush buffers, decide about side files)."""

    def close(self) -> None:
        self.finish()
        if self.owns_files:
            self.files.commit()

    def abort(self) -> None:
        self.files.abort()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Write to a staged file beside ``path`` and rename it into place only on success, so a crash
    or an error never leaves a half-written output."""
    assert encoding in (None, "utf-8"), "outputs are UTF-8"
    files = OutputSet()
    fh = files.open(Path(path), mode)
    try:
        yield fh
    except BaseException:
        files.abort()
        raise
    files.commit()


def write_jsonl(path: Path, rows: Iterable[Any]) -> int:
    """One JSON object per line, written atomically; a row is a pydantic model, a dataclass or a dict.
    Returns the number of rows."""
    n = 0
    with atomic_open(path) as fh:
        for row in rows:
            if hasattr(row, "model_dump_json"):
                fh.write(row.model_dump_json() + "\n")
            else:
                fh.write(json.dumps(dataclasses.asdict(row) if dataclasses.is_dataclass(row) else row,
                                    ensure_ascii=False) + "\n")
            n += 1
    return n
