"""Where input bytes come from and how they are laid out, before any format is decided.

- ``open_input(path)``: a file, ``-`` (standard input) or a FIFO / ``<(...)``; gzip, bzip2 and zstd are
  recognised by their first bytes, whatever the file is called. Every failure is a ``FileLevelError``.
- ``read_values(fh)``: the file's JSON values, whatever the layout: JSONL (one value per line, the usual
  case), one JSON array of rows (LLaMA-Factory, FastChat, axolotl: pretty-printed or all on one line,
  possibly huge) read element by element in constant memory, or one JSON document holding a single row.
  Each value keeps the line of the file it starts on, so a diagnostic points into the file as the user sees
  it; an array element that cannot be read also names its index and column (one line may hold them all).
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import json
import os
import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sqlcurate.findings import Finding
from sqlcurate.formats.lines import (
    JSON_WHITESPACE,
    PREVIEW_CHARS,
    STRICT_JSON,
    FileLevelError,
    Line,
    NonStandardJson,
    parse_line,
    physical_lines,
    skip_rest_of_line,
)

STDIN = "-"
CODES = {
    "FILE_CORRUPT": "a compressed input is truncated or corrupt",
    "FILE_NEEDS_PACKAGE": "reading this input needs an optional package that is not installed",
}
_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\x28\xb5\x2f\xfd", "zstd"))
_CHUNK = 1 << 20


def is_stdin(path: Path | str) -> bool:
    return str(path) == STDIN


def check_input(path: Path | str) -> None:
    """What can be known without consuming the input (a FIFO must be opened only once, by the reader)."""
    if is_stdin(path):
        return
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileLevelError(path, "FILE_MISSING", "no such file") from None
    except OSError as e:
        raise FileLevelError(path, "FILE_UNREADABLE", e.strerror or str(e)) from None
    if stat.S_ISDIR(mode):
        raise FileLevelError(path, "FILE_IS_DIRECTORY", "is a directory, expected a file")
    if stat.S_ISREG(mode):
        if os.stat(path).st_size == 0:
            raise FileLevelError(path, "FILE_EMPTY", "the file is empty (0 bytes); nothing to read")
        if not os.access(path, os.R_OK):
            raise FileLevelError(path, "FILE_UNREADABLE", "permission denied")


def open_input(path: Path | str) -> BinaryIO:
    """A buffered binary stream of the input's (decompressed) bytes; raises FileLevelError, never OSError."""
    check_input(path)
    if is_stdin(path):
        raw: BinaryIO = sys.stdin.buffer
    else:
        try:
            raw = open(path, "rb", buffering=_CHUNK)  # noqa: SIM115 - the caller closes it
        except OSError as e:
            raise FileLevelError(path, "FILE_UNREADABLE", e.strerror or str(e)) from None
    if not hasattr(raw, "peek"):
        raw = io.BufferedReader(raw, _CHUNK)  # type: ignore[arg-type]
    head = raw.peek(4)[:4]  # type: ignore[attr-defined]
    if not head:
        raise FileLevelError(path, "FILE_EMPTY", "the input is empty (0 bytes); nothing to read")
    kind = next((name for magic, name in _MAGIC if head.startswith(magic)), None)
    if kind is None:
        return raw
    if kind == "gzip":
        return io.BufferedReader(gzip.GzipFile(fileobj=raw, mode="rb"), _CHUNK)  # type: ignore[arg-type]
    if kind == "bzip2":
        return io.BufferedReader(bz2.BZ2File(raw, "rb"), _CHUNK)  # type: ignore[arg-type]
    try:
        import zstandard
    except ImportError:
        raise FileLevelError(path, "FILE_NEEDS_PACKAGE", "is zstd-compressed; `pip install zstandard` to read it") from None
    return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True), _CHUNK)


def read_values(fh: BinaryIO, path: Path | str, max_line_bytes: int) -> Iterator[Line]:
    """The input's rows as ``Line``s (``number`` is the line a row starts on), whatever the layout."""
    try:
        yield from _read_values(fh, max_line_bytes)
    except (EOFError, OSError, gzip.BadGzipFile) as e:  # a truncated or corrupt compressed stream
        raise FileLevelError(path, "FILE_CORRUPT", f"cannot be read to the end: {e}") from None
    except Exception as e:
        if type(e).__module__.startswith("zstandard"):
            raise FileLevelError(path, "FILE_CORRUPT", f"cannot be read to the end: {e}") from None
        raise


def _read_values(fh: BinaryIO, max_line_bytes: int) -> Iterator[Line]:
    blanks: list[Line] = []
    number = 0
    while True:
        data = fh.readline(max_line_bytes + 1)
        if not data:
            yield from blanks
            return
        number += 1
        if _opens_row_array(data):
            # a JSON array of rows, however it is laid out (one line from json.dump, or pretty-printed):
            # streamed element by element, so its size on one line is no limit, only each element's is
            yield from blanks
            yield from _document(data, fh, number - 1, max_line_bytes)
            return
        too_long = len(data) > max_line_bytes and not data.endswith(b"\n")
        if too_long:
            line = parse_line(number, data, len(data) + skip_rest_of_line(fh), True, max_line_bytes)
        else:
            line = parse_line(number, data, len(data), False, max_line_bytes)
        if line.blank:
            blanks.append(line)
            continue
        yield from blanks
        if not line.parsed and not too_long and _opens_document(data):
            # not a complete JSON value on its first line: one pretty-printed array or document
            yield from _document(data, fh, number - 1, max_line_bytes)
            return
        yield line
        break
    for n, (data, size, too_long) in enumerate(physical_lines(fh, max_line_bytes), number + 1):
        yield parse_line(n, data, size, too_long, max_line_bytes)


def _opens_document(data: bytes) -> bool:
    """A first line that is the start of a longer JSON value (``[`` or ``{`` of a pretty-printed file), as
    opposed to a broken JSONL line: the parser ran out of text rather than meeting a wrong character."""
    text = data.decode("utf-8", "replace").lstrip("\ufeff").strip(JSON_WHITESPACE)
    if text[:1] not in ("[", "{"):
        return False
    try:
        STRICT_JSON.decode(text)
    except json.JSONDecodeError as e:
        # a pretty-printer never splits a string across lines: an unterminated one is a broken JSONL line
        return e.pos >= len(text) - 1 and not e.msg.startswith("Unterminated string")
    except (ValueError, RecursionError):
        return False
    return False


_ROW_KEYS = frozenset(("messages", "conversations", "instruction", "prompt"))


# a key (a quote not escaped, the name, a colon) that marks a row or a message; unescaped quotes cannot occur
# inside a valid JSON string, so a match is a real key unless the element is broken before it
_FIRST_KIND_OF_KEY = re.compile(r'(?<!\\)"(messages|conversations|instruction|prompt|role|from)"\s*:')


def _opens_row_array(data: bytes) -> bool:
    """The first line opens a JSON array whose first element, on this line, is a row: an object with a row
    key that is not a message (``role``/``from``), or a nanochat message list. A nanochat JSONL line is an
    array too, but its first element is a message. Only the first element is parsed: the line may be the
    whole (huge) file, of which ``data`` is a bounded prefix."""
    text = data.decode("utf-8", "replace").lstrip("\ufeff").lstrip(JSON_WHITESPACE)
    if not text.startswith("["):
        return False
    first = _NOT_WS.search(text, 1)
    if first is None or text[first.start()] not in "[{":
        return False
    try:
        value, _ = STRICT_JSON.raw_decode(text, first.start())
    except (ValueError, RecursionError):
        # the first element is broken (or over the limit): judge by which kind of key comes first in it
        key = _FIRST_KIND_OF_KEY.search(text, first.start())
        return key is not None and key.group(1) in _ROW_KEYS
    if isinstance(value, list):
        return all(isinstance(m, dict) for m in value)
    return bool(_ROW_KEYS & value.keys()) and not ("role" in value or "from" in value)


class _Text:
    """Decoded text of a byte stream in a sliding window: ``buf[pos:]`` is unread, ``line`` is pos's line."""

    def __init__(self, prefix: bytes, fh: BinaryIO, first_line: int):
        # invalid UTF-8 becomes lone surrogates U+DC80..U+DCFF, which valid input can never produce raw
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.fh = fh
        self.buf = self._decoder.decode(prefix)
        if self.buf.startswith("\ufeff"):
            self.buf = self.buf[1:]
        self.pos = 0
        self.line = first_line + 1
        self.eof = False
        self._base = 0  # offset in the stream's text of buf[0]: the window slides, columns must not
        self._line_start = 0  # offset in the stream's text of the current line's first character

    def fill(self) -> bool:
        """Read more; False at the end of the stream."""
        if self.eof:
            return False
        chunk = self.fh.read(_CHUNK)
        if self.pos:
            self._base += self.pos
            self.buf, self.pos = self.buf[self.pos:], 0
        if not chunk:
            self.eof = True
            self.buf += self._decoder.decode(b"", final=True)
            return False
        self.buf += self._decoder.decode(chunk)
        return True

    def advance(self, to: int) -> None:
        newlines = self.buf.count("\n", self.pos, to)
        if newlines:
            self.line += newlines
            self._line_start = self._base + self.buf.rfind("\n", self.pos, to) + 1
        self.pos = to

    def column(self, at: int | None = None) -> int:
        """1-based column (in characters) of buffer index ``at`` (default ``pos``), which is not before ``pos``."""
        at = self.pos if at is None else at
        newline = self.buf.rfind("\n", self.pos, at)
        line_start = self._base + newline + 1 if newline >= 0 else self._line_start
        return self._base + at - line_start + 1

    def skip_ws(self) -> str:
        """The next non-whitespace character ('' at the end), not consumed."""
        while True:
            m = _NOT_WS.search(self.buf, self.pos)
            if m:
                self.advance(m.start())
                return self.buf[self.pos]
            self.advance(len(self.buf))
            if not self.fill():
                return ""


_NOT_WS = re.compile(r"[^ \t\r\n]")
_SPECIAL = re.compile(r'[\[\]{}",]')
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BAD_UTF8 = re.compile(r"[\udc80-\udcff]")


def _document(prefix: bytes, fh: BinaryIO, first_line: int, max_bytes: int) -> Iterator[Line]:
    text = _Text(prefix, fh, first_line)
    opener = text.skip_ws()
    if opener == "{":  # one document holding one row
        yield from _elements(text, max_bytes, single=True)
        return
    text.advance(text.pos + 1)  # the "["
    yield from _elements(text, max_bytes, single=False)


def _elements(text: _Text, max_bytes: int, single: bool) -> Iterator[Line]:
    index = 0
    while True:
        c = text.skip_ws()
        if c == "":
            if not single:
                yield Line(text.line, "", findings=[Finding("LINE_INVALID_JSON", "the JSON array is not closed (no ']')")])
            return
        if c == "]" and not single:
            text.advance(text.pos + 1)
            after = text.skip_ws()
            if after == "[":  # the next array of a file of one-line row arrays (JSONL whose lines are arrays)
                text.advance(text.pos + 1)
                index = 0
                continue
            if after:
                yield Line(text.line, text.buf[text.pos:text.pos + PREVIEW_CHARS],
                           findings=[Finding("LINE_INVALID_JSON", "data after the closing ']' of the JSON array")])
            return
        index += 1
        where = "the JSON document" if single else f"array element {index:,} (line {text.line}, column {text.column():,})"
        yield _element(text, max_bytes, where)
        if single:
            if text.skip_ws():
                yield Line(text.line, text.buf[text.pos:text.pos + PREVIEW_CHARS],
                           findings=[Finding("LINE_INVALID_JSON", "data after the JSON document")])
            return
        c = text.skip_ws()
        if c == ",":
            text.advance(text.pos + 1)
        elif c != "]":
            line = text.line
            preview = text.buf[text.pos:text.pos + PREVIEW_CHARS]
            _resync(text)
            yield Line(line, preview, findings=[Finding("LINE_INVALID_JSON", "expected ',' or ']' between array elements")])


def _element(text: _Text, max_bytes: int, where: str) -> Line:
    """The value at ``pos``; a row that cannot be read says ``where`` it is (in a one-line array every row
    starts on line 1, so the element's index and column are what point at it)."""
    start_line = text.line
    while True:
        start = text.pos
        try:
            value, end = STRICT_JSON.raw_decode(text.buf, start)
        except NonStandardJson as e:
            return _bad(text, start_line, "LINE_INVALID_JSON", f"{where}: {e}")
        except RecursionError:
            return _bad(text, start_line, "LINE_TOO_DEEP", f"{where}: JSON nests too deeply to parse")
        except ValueError as e:
            pos = getattr(e, "pos", len(text.buf))
            # an error near the end of what is buffered may only mean the element goes on in the next chunk
            incomplete = pos >= len(text.buf) - 64 or str(e).startswith("Unterminated string")
            if incomplete and not text.eof and len(text.buf) - start <= max_bytes:
                text.fill()
                continue
            if len(text.buf) - start > max_bytes:
                return _bad(text, start_line, "LINE_TOO_LONG",
                            f"{where} is over {max_bytes:,} bytes (--max-line-bytes)")
            msg = getattr(e, "msg", str(e))
            line = start_line + text.buf.count("\n", start, pos)
            col = text.column(pos)
            at = "line" if msg.endswith(" at") else "at line"  # some of json's messages end in "at"
            return _bad(text, start_line, "LINE_INVALID_JSON", f"{where}: {msg} {at} {line} column {col}")
        if end >= len(text.buf) and not text.eof:  # a number or literal may go on in the next chunk
            text.fill()
            continue
        raw = text.buf[start:end]
        raw_bytes = len(raw.encode("utf-8", "surrogatepass"))
        if raw_bytes > max_bytes:  # parsed whole because it fit in the window, but a row is held to the limit
            return _bad(text, start_line, "LINE_TOO_LONG",
                        f"{where} is {raw_bytes:,} bytes, over the limit of {max_bytes:,} (--max-line-bytes)")
        text.advance(end)
        if _BAD_UTF8.search(raw):
            m = _BAD_UTF8.search(raw)
            return Line(start_line, raw[:PREVIEW_CHARS].encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"),
                        raw_bytes=len(raw),
                        findings=[Finding("LINE_INVALID_UTF8", f"{where}: invalid UTF-8 at character {m.start()}")])
        return Line(start_line, raw, value=value, parsed=True, raw_bytes=raw_bytes)


def _bad(text: _Text, start_line: int, code: str, message: str) -> Line:
    preview = text.buf[text.pos:text.pos + PREVIEW_CHARS].encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    _resync(text)
    return Line(start_line, preview, findings=[Finding(code, message)])


def _resync(text: _Text) -> None:
    """Skip the element at ``pos`` tolerantly (strings and brackets only) up to the next top-level ',' or ']'."""
    depth = 0
    while True:
        m = _SPECIAL.search(text.buf, text.pos)
        if m is None:
            text.advance(len(text.buf))
            if not text.fill():
                return
            continue
        c = m.group()
        if c == '"':
            s = _STRING.match(text.buf, m.start())
            if s is None:
                text.advance(m.start())
                if not text.fill():
                    text.advance(len(text.buf))
                    return
                continue
            text.advance(s.end())
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            if depth == 0:
                text.advance(m.start())
                return
            depth -= 1
        elif c == "," and depth == 0:
            text.advance(m.start())
            return
        text.advance(m.end())
