"""The work each upload costs (`--work`): none, sha256 (default), cpu:MS, sleep:MS.

`sha256` reads the stored file back and hashes it — the cheapest realistic "process the
upload" step, and the server's proof of what it stored. A target that hashed while streaming
passes the digest in and the file is not read again.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

KINDS = ("none", "sha256", "cpu", "sleep")
READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class Work:
    kind: str = "sha256"
    ms: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Work:
        kind, _, arg = text.strip().partition(":")
        if kind not in KINDS:
            raise ValueError(f"bad work {text!r}: use none, sha256, cpu:MS or sleep:MS")
        if kind in ("cpu", "sleep"):
            try:
                ms = float(arg)
            except ValueError:
                raise ValueError(f"bad work {text!r}: {kind} needs milliseconds, e.g. {kind}:50")
            if ms < 0:
                raise ValueError(f"bad work {text!r}: milliseconds must be >= 0")
            return cls(kind, ms)
        if arg:
            raise ValueError(f"bad work {text!r}: {kind} takes no argument")
        return cls(kind)

    def __str__(self) -> str:
        return f"{self.kind}:{self.ms:g}" if self.kind in ("cpu", "sleep") else self.kind

    def run(self, path: Path, sha256: str | None = None) -> str | None:
        """Do the work on a stored file; returns its sha256 when known."""
        if self.kind == "sha256" and sha256 is None:
            sha256 = file_sha256(path)
        elif self.kind == "cpu":
            burn_cpu(self.ms)
        elif self.kind == "sleep":
            time.sleep(self.ms / 1000)
        return sha256

    async def arun(self, path: Path, sha256: str | None = None) -> str | None:
        """The same, for async handlers: only the sleep yields; hashing and CPU block the loop,
        which is exactly what they cost an async server."""
        if self.kind == "sleep":
            await asyncio.sleep(self.ms / 1000)
            return sha256
        return self.run(path, sha256)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def burn_cpu(ms: float) -> None:
    deadline = time.perf_counter() + ms / 1000
    while time.perf_counter() < deadline:
        pass
