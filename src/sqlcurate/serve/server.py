"""Assemble and run the server: model, keys, checks, log, limits -> uvicorn on a loopback address by default."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from sqlcurate.errors import SqlcurateError
from sqlcurate.serve.limits import Limits

CODES = {
    "SERVE_NO_KEYS": "the keys file has no active key and --no-auth was not given",
    "SERVE_NO_AUTH_PUBLIC": "--no-auth only binds a loopback address",
    "SERVE_MODEL": "the checkpoint or its tokenizer could not be loaded",
}


class ServeError(SqlcurateError):
    codes = CODES


@dataclass
class ServeOptions:
    checkpoint: Path | None
    keys_file: Path
    log_file: Path
    host: str = "127.0.0.1"
    port: int = 8000
    no_auth: bool = False
    catalog: Path | None = None
    engine: str = "none"
    tokenizer_dir: Path | None = None
    device: str | None = None
    model_name: str | None = None
    require_valid_sql: int = 0
    limits: Limits = Limits()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_state(opts: ServeOptions):
    """Everything the app needs, checked before the port is opened."""
    from nanochat.checkpoint import IncompatibleCheckpoint
    from sqlcurate.eval.generate import load_for_inference
    from sqlcurate.serve.app import ServeState
    from sqlcurate.serve.feedback_log import FeedbackLog
    from sqlcurate.serve.keys import KeyStore
    from sqlcurate.serve.service import ChatService
    from sqlcurate.serve.verdicts import AnswerChecker
    from sqlcurate.sql.catalog import load_catalog

    if opts.no_auth:
        if not is_loopback(opts.host):
            raise ServeError("SERVE_NO_AUTH_PUBLIC", f"--no-auth serves anyone who can connect; it binds a loopback "
                                                     f"address only, not {opts.host}")
        keys = None
    else:
        keys = KeyStore(opts.keys_file)
        if not keys.active():
            raise ServeError("SERVE_NO_KEYS", f"{opts.keys_file} has no active key: add one with "
                                              f"`sqlcurate serve keys add LABEL --keys {opts.keys_file}` (or pass --no-auth)")
    try:
        loaded = load_for_inference(opts.checkpoint, device=opts.device, tokenizer_dir=opts.tokenizer_dir)
    except (FileNotFoundError, IncompatibleCheckpoint) as e:
        raise ServeError("SERVE_MODEL", str(e)) from None
    catalog = load_catalog(opts.catalog) if opts.catalog is not None else None
    return ServeState(service=ChatService(loaded, opts.limits.max_batch), model_name=opts.model_name or loaded.label,
                      keys=keys, limits=opts.limits, checker=AnswerChecker(catalog, opts.engine),
                      log=FeedbackLog(opts.log_file), require_valid_sql=opts.require_valid_sql)


def serve(opts: ServeOptions) -> None:
    import uvicorn

    from sqlcurate.serve.app import create_app

    state = build_state(opts)
    try:
        uvicorn.run(create_app(state), host=opts.host, port=opts.port, log_level="info", access_log=False,
                    timeout_graceful_shutdown=5)
    finally:
        state.service.close()
        state.checker.close()
        state.log.close()
