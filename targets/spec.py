"""The declarative spec of a target (`targets/<name>/target.py` holds one `TARGET = Target(...)`).

It lives with the targets, not in upbench: a target never imports the harness.
"""

from __future__ import annotations

from dataclasses import dataclass

PROTOCOLS = ("upload", "tus", "presign")  # multipart POST /upload; tus 1.0 under /files/;
# "presign" with "upload": its uploads go through a ticket from POST /presign, the bytes
# straight to storage (loadtests/presign.py), instead of a multipart POST /upload
COMPLETIONS = ("records", "poll")
# The fields that describe what a target does with an upload: two arms of a claim's comparison
# may differ only in those the claim declares (tests/test_claim_controls.py). Identity, prose
# and launch plumbing (name, seeds, summary, app, as_written, hardening, services, sidecars,
# completion) are not among them.
TRAITS = ("server", "worker_class", "front", "view", "body", "hands_off", "acknowledges",
          "protocols")


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
    # How the harness learns that a 202 upload is done: "records" = it reads the store's
    # records (`<data>/<id>.json`, status + the server's `updated` time) after the level, so
    # no request reaches the measured workers; "poll" = GET /uploads/<id> during the level.
    completion: str = "records"
    # What the pattern does (TRAITS): its view, how it reads the body, what leaves the request.
    view: str = "def"               # "def" or "async def"
    body: str = "request.files"     # request.files (Werkzeug parser) | request.stream |
    #                                 UploadFile | tus | request.files then .stream/.read()
    hands_off: str = ""             # what leaves the request before the answer ("" = nothing)
    front: str = ""                 # a proxy in front of the server: "" or "nginx"
    # The seed's code this target runs as written ("" = a careful engineer's version), and each
    # change made only because running it at all needs it.
    as_written: str = ""
    hardening: tuple[str, ...] = ()
    # In the claims run's survey (every shipped pattern once, for the summary and plots); the
    # variants that exist to judge a seed's snippet or deployment are measured by their claims.
    survey: bool = True

    @property
    def answer(self) -> int:
        """The status code of a successful `POST /upload`."""
        return 201 if self.acknowledges == "stored" else 202


def traits(target: Target) -> dict:
    """The fields an experiment may vary (TRAITS), by name."""
    return {name: getattr(target, name) for name in TRAITS}
