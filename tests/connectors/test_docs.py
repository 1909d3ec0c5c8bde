"""Docs splitting: heading paths, code blocks intact, HTML and Dataform .sqlx."""

from __future__ import annotations

import json

from tests.connectors.conftest import run_cli

from sqlcurate.connectors.docs import html_to_markdown, pull_docs, split_file, split_markdown

MD = """Intro line before any heading.

# Warehouse

Top text.

## Swaps

One row per swap.

```sql
# not a heading: inside a fence
SELECT count() FROM dex.swaps
```

### Amounts

Amounts are in token units.

## Pools

Pools text.
"""


def test_markdown_sections_have_heading_paths_and_intact_code():
    sections = list(split_markdown(MD, "a.md", "a"))
    paths = [s.heading_path for s in sections]
    assert paths == [["a"], ["Warehouse"], ["Warehouse", "Swaps"], ["Warehouse", "Swaps", "Amounts"], ["Warehouse", "Pools"]]
    swaps = sections[2]
    assert "```sql\n# not a heading: inside a fence\nSELECT count() FROM dex.swaps\n```" in swaps.text
    assert swaps.line == MD.splitlines().index("## Swaps") + 2
    assert all(s.source == "a.md" for s in sections)


def test_html_becomes_the_same_sections(tmp_path):
    page = tmp_path / "guide.html"
    page.write_text("<html><head><style>p{}</style></head><body><h1>Guide</h1><p>Use   <b>LIMIT</b> n.</p>"
                    "<h2>Example</h2><pre>SELECT *\nFROM dex.pools\nLIMIT 5</pre><script>var x;</script></body></html>")
    sections = split_file(page)
    assert [s.heading_path for s in sections] == [["Guide"], ["Guide", "Example"]]
    assert sections[0].text == "Use LIMIT n."
    assert "```\nSELECT *\nFROM dex.pools\nLIMIT 5\n```" in sections[1].text
    assert "var x" not in html_to_markdown(page.read_text())


def test_sqlx_keeps_description_and_sql(tmp_path):
    action = tmp_path / "daily_volume.sqlx"
    action.write_text('config {\n  type: "table",\n  description: "Daily volume per pool",\n  columns: { day: "UTC day" }\n}\n\n'
                      "SELECT day, sum(volume_usd) AS volume_usd\nFROM ${ref(\"pool_daily\")}\nGROUP BY day\n")
    (section,) = split_file(action)
    assert section.heading_path == ["daily_volume"]
    assert section.text.startswith("Daily volume per pool\n\n```sql\nSELECT day, sum(volume_usd)")
    assert "config {" not in section.text


def test_pull_docs_writes_sections_and_reports_skipped_files(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text(MD)
    (docs / "notes.txt").write_text("Plain notes.\n")
    (docs / "image.png").write_bytes(b"\x89PNG")
    (docs / "bad.md").write_bytes(b"# T\n\xff\xfe not utf8\n")
    n, problems = pull_docs([docs], tmp_path)
    lines = [json.loads(x) for x in (tmp_path / "training_data/raw/docs.jsonl").read_text().splitlines()]
    assert n == len(lines) == 6
    assert {p.split(": ")[1].split()[0] for p in problems} == {"DOCS_UNSUPPORTED", "DOCS_UNREADABLE"}
    assert any(p.startswith(f"{docs / 'bad.md'}:1: DOCS_UNREADABLE") for p in problems)


def test_cli_pull_docs(tmp_path):
    (tmp_path / "a.md").write_text(MD)
    run = run_cli("pull", "docs", str(tmp_path / "a.md"), "--workspace", str(tmp_path))
    assert run.returncode == 0, run.stderr
    assert "5 sections" in run.stdout
