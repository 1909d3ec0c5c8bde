"""API keys, stored hashed in a JSON keys file that ``sqlcurate serve keys add|list|revoke`` manages.

A key is 32 random bytes (``sk-sqlc-`` + URL-safe base64); the file keeps only its SHA-256, a short
id and the label that the feedback log records in its place. Keys are random and long, so a plain
hash is as hard to invert as the key is to guess (a slow password hash protects low-entropy
passwords, which these are not). The file is written atomically and readable by its owner only (mode 0600).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlcurate.errors import SqlcurateError
from sqlcurate.fileio import atomic_open

CODES = {
    "KEYS_FILE_INVALID": "the keys file is not a sqlcurate keys file (bad JSON or fields)",
    "KEYS_UNKNOWN": "no key has that id or label",
    "KEYS_LABEL_TAKEN": "an active key already has that label",
    "KEYS_LABEL_INVALID": "a label is 1-64 characters of letters, digits, '.', '_', '@' or '-'",
}

PREFIX = "sk-sqlc-"


class KeysError(SqlcurateError):
    codes = CODES


@dataclass(frozen=True)
class KeyEntry:
    id: str
    label: str
    sha256: str
    created: str
    revoked: str | None = None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def _valid_label(label: str) -> bool:
    return 0 < len(label) <= 64 and all(c.isalnum() or c in "._@-" for c in label)


class KeyStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._load()

    def _load(self) -> None:
        self._mtime = self.path.stat().st_mtime_ns if self.path.exists() else None
        self.entries: list[KeyEntry] = self._read() if self._mtime is not None else []
        self._by_digest = {e.sha256: e for e in self.entries if e.revoked is None}

    def _read(self) -> list[KeyEntry]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [KeyEntry(**e) for e in data["keys"]]
        except (ValueError, KeyError, TypeError) as e:
            raise KeysError("KEYS_FILE_INVALID", f"{self.path}: {e}") from None

    def _write(self) -> None:
        with atomic_open(self.path) as fh:
            os.fchmod(fh.fileno(), 0o600)  # owner only, whatever the umask: the rename keeps the mode
            json.dump({"keys": [asdict(e) for e in self.entries]}, fh, indent=1)
            fh.write("\n")
        self._load()

    def add(self, label: str) -> tuple[KeyEntry, str]:
        """A new key for ``label``: (its entry, the key itself, shown once and never stored)."""
        if not _valid_label(label):
            raise KeysError("KEYS_LABEL_INVALID", f"label {label!r}: {CODES['KEYS_LABEL_INVALID']}")
        if any(e.label == label and e.revoked is None for e in self.entries):
            raise KeysError("KEYS_LABEL_TAKEN", f"label {label!r} already has an active key; revoke it first")
        key = PREFIX + secrets.token_urlsafe(32)
        entry = KeyEntry(id=secrets.token_hex(4), label=label, sha256=_digest(key),
                         created=datetime.now(UTC).isoformat(timespec="seconds"))
        self.entries.append(entry)
        self._write()
        return entry, key

    def revoke(self, id_or_label: str) -> KeyEntry:
        for i, e in enumerate(self.entries):
            if e.revoked is None and id_or_label in (e.id, e.label):
                self.entries[i] = KeyEntry(**{**asdict(e), "revoked": datetime.now(UTC).isoformat(timespec="seconds")})
                self._write()
                return self.entries[i]
        raise KeysError("KEYS_UNKNOWN", f"no active key with id or label {id_or_label!r} in {self.path}")

    def active(self) -> list[KeyEntry]:
        return [e for e in self.entries if e.revoked is None]

    def verify(self, key: str) -> KeyEntry | None:
        """The active entry of ``key``, or None (revoked, unknown). Compared in constant time. A changed
        file is read again first, so `serve keys revoke` takes effect on a running server."""
        if (self.path.stat().st_mtime_ns if self.path.exists() else None) != self._mtime:
            self._load()
        digest = _digest(key)
        entry = self._by_digest.get(digest)
        return entry if entry is not None and hmac.compare_digest(entry.sha256, digest) else None
