"""The declarative spec of a target (`targets/<name>/target.py` holds one `TARGET = Target(...)`).

It lives with the targets, not in upbench: a target never imports the harness.
"""

from __future__ import annotations

from dataclasses import dataclass

PROTOCOLS = ("upload", "tus", "presign")  # multipart POST /upload; tus 1.0 under /files/;
# "presign" with "upload": its uploads go through a ticket from POST /presign, the bytes
# straight to storage (loadtests/presign.py), instead of a multipart POST /upload


@dataclass(frozen=True)
class Target:
    """Declarative description of one reference server."""

    name: str
    seeds: tuple[str, ...]
    summary: str
    app: str                        # "module:attribute", imported by the server process
    server: str = "gunicorn"        # "gunicorn" (WSGI) or "uvicorn" (ASGI)
    worker_class: str = "sync"      # gunicorn worker class
    acknowledges: str = "stored"    # "stored" (201) or "accepted" (202, done later)
    durable_at_ack: bool = True     # the bytes are on disk when it answers (False: a crash
                                    # after the answer can lose an acknowledged upload)
    protocols: tuple[str, ...] = ("upload",)  # "upload" (multipart POST), "tus", "presign"
    services: tuple[str, ...] = ()  # helper services started first (see upbench.lifecycle.services)
    sidecars: tuple[str, ...] = ()  # extra processes of the target (see upbench.lifecycle.services)
    survey: bool = True             # one level in the default (claims) run's survey

    @property
    def answer(self) -> int:
        """The status code of a successful `POST /upload`."""
        return 201 if self.acknowledges == "stored" else 202
