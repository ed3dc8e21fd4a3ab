"""Upload bodies: random (never zeros), shared, unique per upload, with a cheap expected sha256.

Each process keeps one random prefix per size; every upload appends its own 16-byte suffix.
The expected digest is the prefix's digest copied and updated with the suffix, so a 256 MB
upload costs no per-upload hashing and no per-user copy of the body. The MD5 (what an S3-like
endpoint's ETag holds) is made the same way, only when an answer carries an ETag to check.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import random
from typing import NamedTuple

SUFFIX_BYTES = 16
# The suffixes: 128 random bits from a generator seeded by the OS, not os.urandom() per upload
# (a getrandom() syscall that also hands the GIL over between the closed-loop users' threads).
# Reseeded in a forked child (Locust's --processes forks): no two processes share a sequence.
_suffixes = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _suffixes.seed(os.urandom(32)))


class Body(NamedTuple):  # a tuple: built once per upload, so built cheaply
    parts: tuple[memoryview | bytes, ...]
    size: int
    sha256: str
    name: str = ""  # a real file's own name (`--file`); "" for random bytes


class Payload:
    def __init__(self, size: int):
        self.size = size
        self.prefix = memoryview(os.urandom(max(0, size - SUFFIX_BYTES)))
        self._prefix_digest = hashlib.sha256(self.prefix)
        self._suffix_len = size - len(self.prefix)
        self._prefix_md5 = None  # computed on first use: most endpoints send no ETag

    def md5(self, body: Body) -> str:
        """The MD5 of one of this payload's bodies (its last part is the unique suffix)."""
        if self._prefix_md5 is None:
            self._prefix_md5 = hashlib.md5(self.prefix, usedforsecurity=False)
        digest = self._prefix_md5.copy()
        digest.update(body.parts[-1])
        return digest.hexdigest()

    @staticmethod
    @functools.lru_cache(maxsize=16)
    def shared(size: int) -> Payload:
        return Payload(size)

    def unique(self) -> Body:
        suffix = _suffixes.randbytes(self._suffix_len)
        digest = self._prefix_digest.copy()
        digest.update(suffix)
        parts = (self.prefix, suffix) if len(self.prefix) else (suffix,)
        return Body(parts, self.size, digest.hexdigest())


class FilePayload:
    """Real files (`--file PATH`, repeatable) as the bodies, in turn: read once per process,
    so the digest of every upload is known up front. The same bytes go up again and again,
    so integrity is judged by size or by the digest the endpoint returns."""

    def __init__(self, paths: tuple[str, ...]):
        self.bodies = []
        for path in paths:
            with open(path, "rb") as f:
                data = f.read()
            self.bodies.append(Body((memoryview(data),), len(data),
                                    hashlib.sha256(data).hexdigest(), os.path.basename(path)))
        self.size = sum(b.size for b in self.bodies) // len(self.bodies)
        self._turn = itertools.cycle(self.bodies)
        self._md5: dict[str, str] = {}

    @staticmethod
    @functools.lru_cache(maxsize=4)
    def shared(paths: tuple[str, ...]) -> FilePayload:
        return FilePayload(paths)

    def unique(self) -> Body:
        return next(self._turn)

    def md5(self, body: Body) -> str:
        if body.sha256 not in self._md5:
            self._md5[body.sha256] = hashlib.md5(body.parts[0], usedforsecurity=False).hexdigest()
        return self._md5[body.sha256]
