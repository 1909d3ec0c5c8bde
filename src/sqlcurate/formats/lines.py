"""Reading a JSONL file line by line in constant memory, with a reason code for every line that is not JSON.

The file is read in binary with a bounded ``readline`` so a 50 MB line (or a file with no newline at all)
never costs more than ``max_line_bytes`` of memory: the rest of an over-long line is skipped in chunks.
Each line is decoded as strict UTF-8 and parsed with the standard ``json`` module (C scanner).

Decisions (documented in docs/convert.md):
- CRLF line ends and a UTF-8 byte order mark are *warnings*: the row is kept and written back normalized
  (LF, no BOM); the content itself is unchanged by them. nanochat reads CRLF files fine but fails on a BOM,
  so both are reported and make the exit code 1.
- A line holding only JSON whitespace (space, tab, CR) is *blank*: counted and reported, neither written nor
  quarantined. Other Unicode spaces (U+3000, U+00A0, U+2028, ...) are not JSON whitespace: such a line is
  quarantined as invalid JSON, never silently skipped.
- ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON (RFC 8259) though Python's parser accepts them: a line
  holding one is quarantined, so no output (or ``.meta.jsonl``) ever carries one.
- An empty file (0 bytes) is a file-level error (exit 2): there is nothing to convert, which is almost
  always a wrong path or a failed export upstream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlcurate.errors import SqlcurateError
from sqlcurate.findings import Finding

DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024  # far above any real chat row, far below a memory problem
PREVIEW_CHARS = 2000  # how much of an unreadable or over-long line the quarantine file keeps
_SKIP_CHUNK = 1 << 20
_BOM = b"\xef\xbb\xbf"

CODES = {
    "LINE_INVALID_JSON": "the line is not valid JSON (the message gives the column)",
    "LINE_WRONG_TYPE": "the line's JSON value has the wrong type for the format (e.g. a number, or an object where an array is expected)",
    "LINE_INVALID_UTF8": "the line is not valid UTF-8 (the message gives the byte offset)",
    "LINE_BOM": "the line starts with a UTF-8 byte order mark; it is stripped (nanochat would fail on it)",
    "LINE_CRLF": "the line ends with CRLF; read as LF and written back with LF",
    "LINE_TOO_LONG": "the line is longer than --max-line-bytes; skipped without loading it",
    "LINE_TOO_DEEP": "the JSON nests too deeply for the parser",
    "FILE_MISSING": "the input file does not exist",
    "FILE_IS_DIRECTORY": "a directory was given where a file is expected",
    "FILE_UNREADABLE": "the input file cannot be opened (permissions or another OS error)",
    "FILE_EMPTY": "the input file is empty (0 bytes)",
}


JSON_WHITESPACE = " \t\r\n"


class NonStandardJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise NonStandardJson(f"{name} is not valid JSON (RFC 8259 has no NaN or Infinity)")


# one decoder, built once: the C scanner with a hook that only fires on NaN/Infinity
STRICT_JSON = json.JSONDecoder(parse_constant=_refuse_constant)


class FileLevelError(SqlcurateError):
    """A whole file cannot be processed (exit 2); ``code`` is one of the FILE_ codes."""

    def __init__(self, path: Path | str, code: str, message: str):
        super().__init__(code, message)
        self.path = str(path)

    def render(self) -> str:
        return f"error: {self.code} {self.path}: {self.message}"

    def __str__(self) -> str:
        return f"{self.path}: {self.code} {self.message}"


@dataclass(slots=True)
class Line:
    """One physical line: its parsed JSON value, or the findings that say why it has none."""

    number: int  # 1-based
    text: str  # the decoded line without its line end (a preview for over-long or undecodable lines)
    value: Any = None
    parsed: bool = False
    blank: bool = False
    findings: list[Finding] = field(default_factory=list)  # line-level; warnings do not stop parsing
    raw_bytes: int = 0  # size of the line on disk, line end included


def physical_lines(fh: BinaryIO, max_line_bytes: int) -> Iterator[tuple[bytes, int, bool]]:
    """Yield (data, size on disk, too_long). For an over-long line ``data`` is only its first
    ``max_line_bytes + 1`` bytes and the rest is read and thrown away in bounded chunks."""
    while True:
        data = fh.readline(max_line_bytes + 1)
        if not data:
            return
        if len(data) > max_line_bytes and not data.endswith(b"\n"):
            yield data, len(data) + skip_rest_of_line(fh), True
        else:
            yield data, len(data), False


def skip_rest_of_line(fh: BinaryIO) -> int:
    """Read and throw away the rest of the current line in bounded chunks; the number of bytes skipped."""
    size = 0
    while chunk := fh.readline(_SKIP_CHUNK):
        size += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return size


def parse_line(number: int, data: bytes, size: int, too_long: bool, max_line_bytes: int) -> Line:
    """Decode and parse one physical line; never raises."""
    if too_long:
        preview = data[:PREVIEW_CHARS].decode("utf-8", "backslashreplace")
        return Line(number, preview, raw_bytes=size, findings=[Finding(
            "LINE_TOO_LONG", f"line is {size:,} bytes, over the limit of {max_line_bytes:,} (--max-line-bytes)")])
    findings: list[Finding] = []
    offset = 0
    if data.startswith(_BOM):
        findings.append(Finding("LINE_BOM", "UTF-8 byte order mark at the start of the line (stripped)", "warning"))
        data, offset = data[3:], 3
    if data.endswith(b"\r\n"):
        findings.append(Finding("LINE_CRLF", "CRLF line end (read as LF)", "warning"))
        data = data[:-2]
    elif data.endswith(b"\n"):
        data = data[:-1]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        findings.append(Finding("LINE_INVALID_UTF8", f"invalid UTF-8 at byte offset {e.start + offset}: {e.reason}"))
        return Line(number, data[:PREVIEW_CHARS].decode("utf-8", "backslashreplace"), raw_bytes=size, findings=findings)
    if not text.strip(JSON_WHITESPACE):
        return Line(number, text, blank=True, raw_bytes=size, findings=findings)
    try:
        value = STRICT_JSON.decode(text)
    except json.JSONDecodeError as e:
        # some of json's messages already end in "at" ("Unterminated string starting at")
        where = "column" if e.msg.endswith(" at") else "at column"
        findings.append(Finding("LINE_INVALID_JSON", f"{e.msg} {where} {e.colno}"))
    except RecursionError:
        findings.append(Finding("LINE_TOO_DEEP", "JSON nests too deeply to parse"))
    except NonStandardJson as e:
        findings.append(Finding("LINE_INVALID_JSON", str(e)))
    except ValueError as e:  # e.g. an integer literal over Python's digit limit
        findings.append(Finding("LINE_INVALID_JSON", str(e)))
    else:
        return Line(number, text, value=value, parsed=True, raw_bytes=size, findings=findings)
    return Line(number, text, raw_bytes=size, findings=findings)


def read_lines(fh: BinaryIO, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[Line]:
    """Every line of an open binary file, numbered from 1, parsed or explained."""
    for number, (data, size, too_long) in enumerate(physical_lines(fh, max_line_bytes), start=1):
        yield parse_line(number, data, size, too_long, max_line_bytes)
