"""Connection profiles: ``connectors/<name>.toml`` says where a warehouse is and how to reach it.

A profile never holds a password. It names the environment variable that does (``password_env``), and
that value is read only when connecting, never printed, never put into an error message: every error
text that leaves a connector goes through ``scrub`` first.

ClickHouse profile keys: ``kind = "clickhouse"``, ``host``, ``port``, ``secure``, ``user``, ``database``,
``password_env``, ``connect_timeout`` (seconds), or ``dsn`` (``https://user@host:8443/db`` or
``chdb://<dir>`` for the embedded engine; a relative chdb directory is relative to the profile file),
plus pull defaults ``log_table``, ``databases`` and ``settle_seconds``.
BigQuery profile keys: ``kind = "bigquery"``, ``project``, ``location``, ``datasets``,
``credentials_file`` (a service-account key; otherwise Application Default Credentials),
``emulator_endpoint`` (anonymous credentials against a local emulator).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, ValidationError

from sqlcurate.errors import SqlcurateError
from sqlcurate.workspace import Workspace

CODES = {
    "PROFILE_NOT_FOUND": "no profile file of that name or path",
    "PROFILE_INVALID": "the profile file is not valid TOML or has unknown or mistyped keys",
    "PROFILE_PASSWORD_ENV_UNSET": "the environment variable the profile names for the password is not set",
    "PROFILE_INLINE_SECRET": "a DSN or profile holds a password inline instead of naming an environment variable",
}


class ProfileError(SqlcurateError, ValueError):
    """A profile problem, with a stable ``code`` from CODES; its message never holds a secret."""

    codes = CODES


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "default"
    kind: Literal["clickhouse", "bigquery"] = "clickhouse"
    path: str = ""  # the file it came from ("" for --dsn)
    # ClickHouse
    dsn: str = ""
    host: str = ""
    port: int | None = None
    secure: bool = False
    user: str = "default"
    database: str = ""
    password_env: str = ""
    connect_timeout: float = 10.0
    log_table: str = "system.query_log"
    # A server flushes query_log every few seconds (7.5 s by default): rows younger than this are left
    # for the next pull, so a row flushed after the watermark moved past its time is never missed.
    settle_seconds: int | None = None  # None: 30 on a server, 0 on the embedded engine (flushed on demand)
    databases: list[str] = []
    # BigQuery
    project: str = ""
    location: str = "US"
    datasets: list[str] = []
    credentials_file: str = ""
    emulator_endpoint: str = ""

    def password(self) -> str:
        """The password from the named environment variable ("" when the profile names none)."""
        if not self.password_env:
            return ""
        value = os.environ.get(self.password_env)
        if value is None:
            raise ProfileError(
                "PROFILE_PASSWORD_ENV_UNSET",
                f"profile {self.name!r} reads its password from ${self.password_env}, which is not set "
                f"(export {self.password_env}=... before pulling)",
            )
        return value

    def settle(self) -> int:
        if self.settle_seconds is not None:
            return self.settle_seconds
        return 0 if self.chdb_path() is not None else 30

    def chdb_path(self) -> Path | None:
        """The embedded engine's data directory for a ``chdb://`` DSN, else None."""
        if not self.dsn.startswith("chdb://"):
            return None
        location = self.dsn[len("chdb://"):].split("?", 1)[0]
        path = Path(location)
        if not path.is_absolute() and self.path:
            path = Path(self.path).parent / path
        return path.resolve()

    def target(self) -> str:
        """Where this profile points, without credentials: names the watermark and the records' source."""
        if (path := self.chdb_path()) is not None:
            return f"chdb://{path}"
        if self.kind == "bigquery":
            return f"bigquery://{self.project or 'default'}"
        if self.dsn:
            parsed = urlparse(self.dsn)
            return f"{parsed.scheme}://{parsed.hostname}:{parsed.port or ''}{parsed.path}"
        return f"{'https' if self.secure else 'http'}://{self.host or 'localhost'}:{self.port or ''}/{self.database}"


def resolve_profile(name: str | None, dsn: str | None, workspace: Path, kind: str) -> Profile:
    """The profile a pull of ``kind`` uses: NAME (or a path to a .toml), with ``dsn`` over its location;
    with neither, the workspace's (else the current directory's) ``default`` profile, else an empty one."""
    base = load_profile(name, workspace) if name else None
    if dsn:
        return profile_from_dsn(dsn, base)
    if base is None:
        defaults = (Workspace(workspace).profile("default"), Workspace(Path(".")).profile("default"))
        base = load_profile("default", workspace) if any(p.is_file() for p in defaults) else Profile(kind=kind)
    if base.kind != kind:
        raise ProfileError("PROFILE_INVALID", f"profile {base.name!r} is a {base.kind} profile, not {kind}")
    return base


def _check_no_inline_secret(profile: Profile) -> None:
    if profile.dsn and not profile.dsn.startswith("chdb://") and urlparse(profile.dsn).password:
        raise ProfileError(
            "PROFILE_INLINE_SECRET",
            f"profile {profile.name!r}: the DSN holds a password; remove it and name an environment "
            f"variable with password_env instead",
        )


def load_profile(name_or_path: str, workspace: Path = Path(".")) -> Profile:
    """Load ``<workspace>/connectors/<name>.toml``, ``connectors/<name>.toml`` or a path to a .toml file."""
    candidates = [Path(name_or_path)] if name_or_path.endswith(".toml") else [
        Workspace(workspace).profile(name_or_path),
        Workspace(Path(".")).profile(name_or_path),
    ]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise ProfileError("PROFILE_NOT_FOUND", f"profile {name_or_path!r} not found (looked for {', '.join(map(str, candidates))})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ProfileError("PROFILE_INVALID", f"{path}: not valid TOML: {e}") from None
    data.setdefault("name", path.stem)
    data["path"] = str(path)
    try:
        profile = Profile.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        raise ProfileError("PROFILE_INVALID", f"{path}: {problems}") from None
    _check_no_inline_secret(profile)
    return profile


def profile_from_dsn(dsn: str, base: Profile | None = None) -> Profile:
    """A profile for ``--dsn``: the DSN overrides the base profile's location, the rest is kept."""
    data = base.model_dump() if base else {"name": "dsn"}
    # path="": a relative chdb directory given on the command line is relative to the current directory
    data.update(dsn=dsn, host="", port=None, path="")
    profile = Profile.model_validate(data)
    _check_no_inline_secret(profile)
    return profile


_URL_PASSWORD = re.compile(r"(?P<scheme>\w+://[^:/@\s]*):[^@\s]*@")


def scrub(text: str, profile: Profile | None = None) -> str:
    """Remove the profile's password (and any user:password@ in URLs) from an error text."""
    if profile is not None and profile.password_env:
        secret = os.environ.get(profile.password_env, "")
        if secret:
            text = text.replace(secret, "***")
    return _URL_PASSWORD.sub(r"\g<scheme>:***@", text)
