"""`sqlcurate serve`: an OpenAI-compatible API and an analyst page over a checkpoint; `serve keys` manages keys."""

from __future__ import annotations

from pathlib import Path

import click

from sqlcurate.serve.limits import Limits

KEYS = click.option("--keys", "keys_file", type=click.Path(dir_okay=False, path_type=Path), default=Path("serve_keys.json"),
                    show_default=True, help="The keys file (hashed keys and their labels).")


@click.group(name="serve", invoke_without_command=True)
@click.option("--checkpoint", type=click.Path(exists=True, path_type=Path), help="model_NNNNNN.pt, a run directory, or a NANOCHAT_BASE_DIR.")
@click.option("--tokenizer", "tokenizer_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@KEYS
@click.option("--log", "log_file", type=click.Path(dir_okay=False, path_type=Path), default=Path("feedback/serve_log.jsonl"), show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--no-auth", is_flag=True, help="Serve without keys (binds a loopback address only).")
@click.option("--catalog", type=click.Path(exists=True, path_type=Path), help="Catalog the answers' SQL is grounded in.")
@click.option("--engine", type=click.Choice(["chdb", "none"]), default="none", show_default=True, help="Plan each answer's SQL on the embedded ClickHouse.")
@click.option("--require-valid-sql", type=click.IntRange(0, 5), default=0, show_default=True, help="Retries when an answer's SQL fails a check.")
@click.option("--max-tokens", type=click.IntRange(min=1), default=Limits.max_tokens, show_default=True)
@click.option("--max-batch", type=click.IntRange(min=1), default=Limits.max_batch, show_default=True)
@click.option("--concurrency", type=click.IntRange(min=1), default=Limits.concurrent_per_key, show_default=True, help="Requests in flight per key.")
@click.option("--rate", type=click.IntRange(min=1), default=Limits.requests_per_minute, show_default=True, help="Requests per minute per key.")
@click.option("--model-name", default=None, help="The model id clients see [default: RUN@STEP].")
@click.option("--device", default=None)
@click.pass_context
def serve(ctx, checkpoint, tokenizer_dir, keys_file, log_file, host, port, no_auth, catalog, engine, require_valid_sql,
          max_tokens, max_batch, concurrency, rate, model_name, device) -> None:
    """Serve a checkpoint over HTTP: POST /v1/chat/completions, GET /v1/models, /healthz, the page at /."""
    if ctx.invoked_subcommand is not None:
        return
    from sqlcurate.serve.server import ServeOptions
    from sqlcurate.serve.server import serve as run

    limits = Limits(max_tokens=max_tokens, max_batch=max_batch, concurrent_per_key=concurrency, requests_per_minute=rate)
    run(ServeOptions(checkpoint, keys_file, log_file, host, port, no_auth, catalog, engine, tokenizer_dir, device,
                     model_name, require_valid_sql, limits))


@serve.group(name="keys")
def keys() -> None:
    """Add, list and revoke API keys."""


@keys.command(name="add")
@click.argument("label")
@KEYS
def add(label, keys_file) -> None:
    """Make a key for LABEL (printed once; only its hash is stored)."""
    from sqlcurate.serve.keys import KeyStore

    entry, key = KeyStore(keys_file).add(label)
    click.echo(f"{entry.id} {entry.label}: {key}", err=True)
    click.echo(key)


@keys.command(name="list")
@KEYS
def list_(keys_file) -> None:
    """Keys by id and label (never the key)."""
    from sqlcurate.serve.keys import KeyStore

    for e in KeyStore(keys_file).entries:
        click.echo(f"{e.id}  {e.label:<24} created {e.created}" + (f"  revoked {e.revoked}" if e.revoked else ""))


@keys.command(name="revoke")
@click.argument("id_or_label")
@KEYS
def revoke(id_or_label, keys_file) -> None:
    """Revoke a key by id or label (a running server sees the change at its next request)."""
    from sqlcurate.serve.keys import KeyStore

    e = KeyStore(keys_file).revoke(id_or_label)
    click.echo(f"revoked {e.id} {e.label}")
