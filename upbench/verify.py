"""Verify before measuring (TechEmpower's rule): a target that fails is skipped, with reasons.

Uploads known payloads — tiny, just over Werkzeug's 500 KB in-memory spool threshold, and a few
MB — and checks the status code, the echoed byte count and sha256, the status endpoint, and the
bytes on disk. Then a few contract answers: 404 for an unknown id, 400 for a missing field.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from loadtests.http import Connection
from loadtests.payload import Payload
from loadtests.upload import parse_json, post_upload
from upbench.storage import Storage

SIZES = (1024, 600 * 1024, 5 * 2**20)
FINAL = {"stored", "processed", "failed"}
COMPLETION_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Endpoint:
    """What verify and the load test talk to: ours (all features) or anyone's (`--url`)."""
    base_url: str
    upload_path: str = "/upload"
    status_path: str | None = "/uploads/{id}"
    health_path: str | None = "/health"
    storage: Storage | None = None   # ours: where the target keeps the bytes
    answer: int | None = None        # ours: 201 or 202, as the target's spec says

    @classmethod
    def of(cls, running) -> Endpoint:
        """One of our running targets: every check applies."""
        return cls(running.url, storage=running.storage, answer=running.target.answer)


class Checks:
    def __init__(self):
        self.items: list[dict] = []

    def add(self, name: str, ok: bool, detail: str = "") -> bool:
        self.items.append({"name": name, "ok": bool(ok), "detail": detail})
        return ok

    @property
    def ok(self) -> bool:
        return all(c["ok"] for c in self.items)


def verify(name: str, ep: Endpoint) -> dict:
    checks = Checks()
    conn = Connection(ep.base_url, timeout=60)
    try:
        if ep.health_path:
            ex = conn.request("GET", ep.health_path)
            checks.add("health", ex.status == 200, f"GET {ep.health_path} -> {ex.status or ex.error}")
        for size in SIZES:
            _check_upload(checks, conn, ep, size)
        if ep.status_path:
            ex = conn.request("GET", ep.status_path.format(id="0" * 32))
            checks.add("unknown id is 404", ex.status == 404 and "error" in parse_json(ex.body),
                       f"-> {ex.status} {ex.body[:80]!r}")
            _check_missing_field(checks, conn, ep)
    finally:
        conn.close()
    return {"target": name, "ok": checks.ok, "checks": checks.items}


def _check_upload(checks: Checks, conn: Connection, ep: Endpoint, size: int) -> None:
    label = f"upload {size} B"
    body = Payload(size).unique()
    ex, reply = post_upload(conn, ep.upload_path, body, f"verify-{size}.bin")
    if not checks.add(f"{label}: 2xx", 200 <= ex.status < 300,
                      f"-> {ex.status or ex.error} {ex.body[:120]!r}"):
        return
    if ep.answer is not None:
        checks.add(f"{label}: answers {ep.answer}", ex.status == ep.answer,
                   f"-> {ex.status}, the spec says {ep.answer}")
    if ep.status_path is None:
        return  # anyone's endpoint: any 2xx is success, the body is free-form
    if not checks.add(f"{label}: reply", {"id", "bytes", "status"} <= reply.keys(),
                      f"reply {reply}"):
        return
    checks.add(f"{label}: bytes echoed", reply["bytes"] == size, f"{reply['bytes']} vs {size}")
    record = reply
    if ex.status == 202 or reply.get("status") == "accepted":
        record = _await_final(conn, ep, reply["id"])
        if not checks.add(f"{label}: completes", record.get("status") in ("stored", "processed"),
                          f"final record {record}"):
            return
    if record.get("sha256") is not None:
        checks.add(f"{label}: sha256", record["sha256"] == body.sha256,
                   f"{record['sha256']} vs {body.sha256}")
    ex2 = conn.request("GET", ep.status_path.format(id=reply["id"]))
    shown = parse_json(ex2.body)
    checks.add(f"{label}: status endpoint", ex2.status == 200 and shown.get("id") == reply["id"]
               and shown.get("bytes") == size, f"-> {ex2.status} {shown}")
    if ep.storage is not None:
        stored = ep.storage.record(reply["id"])
        same = stored is not None and ep.storage.size(stored) == size and \
            ep.storage.sha256(stored) == body.sha256
        checks.add(f"{label}: bytes in storage", same,
                   f"{(stored or {}).get('location') or (stored or {}).get('filename')}")


def _await_final(conn: Connection, ep: Endpoint, upload_id: str) -> dict:
    deadline = time.monotonic() + COMPLETION_TIMEOUT_S
    record: dict = {}
    while time.monotonic() < deadline:
        ex = conn.request("GET", ep.status_path.format(id=upload_id))
        record = parse_json(ex.body)
        if record.get("status") in FINAL:
            break
        time.sleep(0.05)
    return record


def _check_missing_field(checks: Checks, conn: Connection, ep: Endpoint) -> None:
    body = Payload(16).unique()
    ex, reply = post_upload(conn, ep.upload_path, body, "x.bin", field="not-file")
    checks.add("missing field is 400", ex.status == 400 and "error" in reply,
               f"-> {ex.status} {ex.body[:80]!r}")

