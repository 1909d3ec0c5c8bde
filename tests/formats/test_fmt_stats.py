"""sqlcurate stats: counts, provenance sources, SQL share and token statistics from the real tokenizer."""

from __future__ import annotations

import json

from click.testing import CliRunner

from sqlcurate.cli import main


def rows_file(tmp_path):
    rows = [
        [{"role": "user", "content": "orders?"}, {"role": "assistant", "content": "```sql\nSELECT count() FROM shop.orders\n```"}],
        [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello!"}],
        [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"},
         {"role": "assistant", "content": "SELECT 1"}],
    ]
    src = tmp_path / "in.jsonl"
    sources = ["log", "docs/kb.md:12", "log"]  # a docs source names its section's line: counted per file
    src.write_text("".join(json.dumps({"messages": r, "source": s, "task": t}) + "\n"
                           for r, s, t in zip(rows, sources, ["query_log", "docs", "query_log"], strict=True))
                   + "\nnot json\n")
    return src, rows


def run_stats(*args):
    result = CliRunner().invoke(main, ["stats", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_counts_sources_and_sql_share(tmp_path):
    src, rows = rows_file(tmp_path)
    data = run_stats(str(src))
    assert (data["rows"], data["unreadable_rows"], data["blank_lines"]) == (3, 1, 1)
    assert data["turns"] == 8 and data["with_system_message"] == 1
    assert data["chars"] == sum(len(m["content"]) for r in rows for m in r)
    assert data["sources"] == {"log": 2, "docs/kb.md": 1}
    assert data["tasks"] == {"query_log": 2, "docs": 1}
    assert data["sql_share"] == round(2 / 3, 4)  # fenced SQL and a bare query; "Hello!" is not SQL
    assert "tokens" not in data


def test_sources_from_nanochat_meta_sidecar(tmp_path):
    src, _ = rows_file(tmp_path)
    out = tmp_path / "train.jsonl"
    assert CliRunner().invoke(main, ["convert", "--from", "messages", str(src), str(out)]).exit_code == 1
    assert (tmp_path / "train.meta.jsonl").exists()
    assert run_stats(str(out))["sources"] == {"log": 2, "docs/kb.md": 1}


def test_tokens_match_nanochat_rendering(tmp_path, repo):
    from nanochat.tokenizer import Tokenizer

    tok_dir = repo / "src/sqlcurate/demo/assets/nanochat_base" / "tokenizer"
    src, rows = rows_file(tmp_path)
    png = tmp_path / "h.png"
    data = run_stats(str(src), "--tokenizer", str(tok_dir), "--histogram", str(png))
    tok = Tokenizer.from_directory(tok_dir)
    rendered = [tok.render_conversation(r, max_tokens=None) for r in rows]
    lengths = sorted(len(ids) for ids, _ in rendered)
    t = data["tokens"]
    assert t["total"] == sum(lengths) and t["max"] == lengths[-1] and t["p50"] == lengths[1]
    assert t["trained"] == sum(sum(mask) for _, mask in rendered)
    assert t["over"] == {"512": 0, "1024": 0, "2048": 0}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_stats_errors(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["stats", str(tmp_path / "missing.jsonl")]).exit_code == 2
    src, _ = rows_file(tmp_path)
    assert runner.invoke(main, ["stats", str(src), "--histogram", str(tmp_path / "h.png")]).exit_code == 2
