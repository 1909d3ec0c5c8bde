"""A hostile environment for the corpus: a canary file, a directory nothing may be written to, a
listener on 127.0.0.1 that must accept no connection, and the corpus with those places filled in."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from .corpus import CORPUS

CANARY = "CANARY-7f3a9c1e-do-not-leak"


class Trap:
    def __init__(self, root: Path):
        self.root = root
        self.canary = root / "canary.txt"
        self.canary.write_text(CANARY + "\n")
        self.out = root / "out"
        self.out.mkdir()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.before = self.snapshot()

    def fill(self, sql: str) -> str:
        return sql.replace("{canary}", str(self.canary)).replace("{out}", str(self.out)).replace("{port}", str(self.port))

    def statements(self) -> list[tuple[str, str | None]]:
        return [(self.fill(sql), code) for sql, code in CORPUS]

    def snapshot(self) -> dict[str, tuple[int, int]]:
        return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in self.root.rglob("*")}

    def accepted(self) -> int:
        count = 0
        while True:
            try:
                conn, _ = self.listener.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def assert_untouched(self, *outputs: str) -> None:
        """Nothing written under the trap, the canary's content in no output, no connection accepted."""
        assert self.snapshot() == self.before, "a file was created or changed"
        assert not list(self.out.iterdir())
        for text in outputs:
            assert CANARY not in text
        assert self.accepted() == 0, "the listener accepted a connection"


@pytest.fixture(scope="module")
def trap(tmp_path_factory):
    t = Trap(tmp_path_factory.mktemp("trap"))
    yield t
    t.listener.close()


def peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
