"""Split documentation into sections: Markdown, HTML, plain text and Dataform ``.sqlx``.

A section is the text under one heading, with the path of headings above it (``["DEX tables", "Swaps"]``).
Code blocks are kept whole, fences included, and a ``#`` inside a fence is never a heading. HTML is first
turned into the same Markdown shape (h1-h6 -> headings, pre -> fenced code), so one splitter serves both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path

from sqlcurate.records import DocSection
from sqlcurate.workspace import DOCS_RECORDS

CODES = {
    "DOCS_UNREADABLE": "a docs file is not UTF-8 text or cannot be read",
    "DOCS_UNSUPPORTED": "a file type the docs splitter does not read (skipped)",
}

MARKDOWN = (".md", ".markdown")
HTML = (".html", ".htm")
TEXT = (".txt", ".rst", ".text")
SQLX = (".sqlx",)
SUFFIXES = MARKDOWN + HTML + TEXT + SQLX

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def split_markdown(text: str, source: str, title: str) -> Iterator[DocSection]:
    """Sections of a Markdown text; text before the first heading goes under ``title``."""
    path: list[tuple[int, str]] = []
    body: list[str] = []
    start = 1
    fence: str | None = None

    def flush() -> Iterator[DocSection]:
        content = "\n".join(body).strip("\n")
        if content.strip():
            yield DocSection(source=source, heading_path=[h for _, h in path] or [title], text=content, line=start)

    for no, line in enumerate(text.splitlines(), 1):
        if m := _FENCE.match(line):
            fence = None if fence == m.group(1) else (fence or m.group(1))
        elif fence is None and (h := _HEADING.match(line)):
            yield from flush()
            level = len(h.group(1))
            path = [(lv, name) for lv, name in path if lv < level] + [(level, h.group(2))]
            body, start = [], no + 1
            continue
        body.append(line)
    yield from flush()


class _HtmlToMarkdown(HTMLParser):
    """Just enough HTML: headings, paragraphs, list items, preformatted code; scripts and styles dropped."""

    BLOCKS = {"p", "div", "li", "tr", "br", "section", "article", "table", "ul", "ol"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.heading = 0
        self.pre = 0
        self.skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.heading = int(tag[1])
            self.out.append("\n\n" + "#" * self.heading + " ")
        elif tag == "pre":
            self.pre += 1
            self.out.append("\n\n```\n")
        elif tag in self.BLOCKS:
            self.out.append("\n" if tag in ("br", "li", "tr") else "\n\n")
            if tag == "li":
                self.out.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.heading = 0
            self.out.append("\n\n")
        elif tag == "pre":
            self.pre -= 1
            self.out.append("\n```\n\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            self.out.append(data.strip("\n"))
        else:
            self.out.append(re.sub(r"\s+", " ", data) if not self.heading else data.strip())

    def markdown(self) -> str:
        return re.sub(r"\n{3,}", "\n\n", "".join(self.out)).strip() + "\n"


def html_to_markdown(text: str) -> str:
    parser = _HtmlToMarkdown()
    parser.feed(text)
    parser.close()
    return parser.markdown()


def split_text(text: str, source: str, title: str) -> Iterator[DocSection]:
    """Plain text has no headings: one section, under the file's name."""
    if text.strip():
        yield DocSection(source=source, heading_path=[title], text=text.strip("\n"), line=1)


_SQLX_CONFIG = re.compile(r"^\s*config\s*\{", re.M)
_SQLX_DESCRIPTION = re.compile(r"""\bdescription\s*:\s*(?P<q>["'`])(?P<text>.*?)(?P=q)""", re.S)


def split_sqlx(text: str, source: str, title: str) -> Iterator[DocSection]:
    """A Dataform action: its config description (if any) and its SQL as one fenced section."""
    description, sql = "", text
    if m := _SQLX_CONFIG.search(text):
        depth, end = 0, len(text)
        for i in range(m.end() - 1, len(text)):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                end = i + 1
                break
        config = text[m.start():end]
        if d := _SQLX_DESCRIPTION.search(config):
            description = d.group("text").strip()
        sql = text[:m.start()] + text[end:]
    sql = sql.strip()
    parts = [description] if description else []
    if sql:
        parts.append(f"```sql\n{sql}\n```")
    if parts:
        yield DocSection(source=source, heading_path=[title], text="\n\n".join(parts), line=1)


def split_file(path: Path) -> list[DocSection]:
    """Sections of one file (raises UnicodeDecodeError/OSError for the caller to report)."""
    text = path.read_text(encoding="utf-8")
    suffix, title, source = path.suffix.lower(), path.stem, str(path)
    if suffix in MARKDOWN:
        return list(split_markdown(text, source, title))
    if suffix in HTML:
        return list(split_markdown(html_to_markdown(text), source, title))
    if suffix in SQLX:
        return list(split_sqlx(text, source, title))
    return list(split_text(text, source, title))


def docs_files(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """(readable files, unsupported files) below the given files and directories, sorted."""
    found, unsupported = [], []
    for p in paths:
        for f in sorted(p.rglob("*")) if p.is_dir() else [p]:
            if not f.is_file() or any(part.startswith(".") for part in f.parts[len(p.parts) if p.is_dir() else 0:]):
                continue
            (found if f.suffix.lower() in SUFFIXES else unsupported).append(f)
    return found, unsupported


def pull_docs(paths: list[Path], workspace: Path = Path(".")) -> tuple[int, list[str]]:
    """Split every docs file under ``paths`` into ``<workspace>/training_data/raw/docs.jsonl`` (rewritten
    whole: the docs set is what was passed). Returns (sections written, ``path:line: CODE message`` lines
    for files skipped)."""
    from sqlcurate.fileio import write_jsonl

    files, unsupported = docs_files(paths)
    problems = [f"{f}:1: DOCS_UNSUPPORTED {f.suffix or 'no extension'} is not one of {', '.join(SUFFIXES)} (skipped)"
                for f in unsupported]
    sections: list[DocSection] = []
    for f in files:
        try:
            sections.extend(split_file(f))
        except UnicodeDecodeError as e:
            problems.append(f"{f}:1: DOCS_UNREADABLE not UTF-8 text ({e.reason} at byte {e.start})")
        except OSError as e:
            problems.append(f"{f}:1: DOCS_UNREADABLE {e.strerror or e}")
    return write_jsonl(Path(workspace) / DOCS_RECORDS, sections), problems
