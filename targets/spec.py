"""The declarative spec of a target (`targets/<name>/target.py` holds one `TARGET = Target(...)`).

It lives with the targets, not in upbench: a target never imports the harness.
"""

from __future__ import annotations

from dataclasses import dataclass

PROTOCOLS = ("upload", "tus")  # multipart POST /upload; tus 1.0 under /files/


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
    protocols: tuple[str, ...] = ("upload",)  # "upload" (multipart POST), "tus"
    services: tuple[str, ...] = ()  # helper services started first (see upbench.lifecycle.services)
    sidecars: tuple[str, ...] = ()  # extra processes of the target (see upbench.lifecycle.services)

    @property
    def answer(self) -> int:
        """The status code of a successful `POST /upload`."""
        return 201 if self.acknowledges == "stored" else 202
