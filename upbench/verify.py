"""Verify before measuring (TechEmpower's rule): a target that fails is skipped, with reasons.

Uploads known payloads — tiny, just over Werkzeug's 500 KB in-memory spool threshold, and a few
MB — and checks the status code, the echoed byte count and sha256, the status endpoint, and the
bytes on disk. Then a few contract answers: 404 for an unknown id, 400 for a missing field.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

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
    multipart: bool = True           # takes multipart POSTs (a bare tus server does not)
    tus_path: str | None = None      # a tus 1.0 creation endpoint to check as well

    @classmethod
    def of(cls, running) -> Endpoint:
        """One of our running targets: every check applies."""
        return cls(running.url, storage=running.storage, answer=running.target.answer,
                   tus_path="/files/" if "tus" in running.target.protocols else None)

    @classmethod
    def external(cls, url: str, tus_only: bool | None) -> Endpoint:
        """Anyone's endpoint (`--url`): no /health, status endpoint or disk to check.
        `tus_only`: True checks it as a tus creation endpoint, False as a multipart upload
        endpoint, None (a run with both kinds of scenario) as both."""
        parts = urlsplit(url)
        path = parts.path or "/"
        return cls(f"{parts.scheme}://{parts.netloc}", upload_path=path, status_path=None,
                   health_path=None, multipart=tus_only is not True,
                   tus_path=path if tus_only is not False else None)


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
        if ep.multipart:
            for size in SIZES:
                _check_upload(checks, conn, ep, size)
        if ep.tus_path:
            _check_tus(checks, conn, ep.tus_path)
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


def _check_tus(checks: Checks, conn: Connection, creation_path: str) -> None:
    """tus 1.0 core + creation, as any tus server must answer: create, PATCH in two chunks,
    HEAD for the offset in between, and 409 for a PATCH at the wrong offset."""
    tus = {"Tus-Resumable": "1.0.0"}
    data = Payload(300_000).unique()
    blob = b"".join(bytes(p) for p in data.parts)
    created = conn.request("POST", creation_path, {**tus, "Upload-Length": str(len(blob)),
                                                   "Upload-Metadata": "filename dmVyaWZ5LmJpbg=="})
    if not checks.add("tus: create", created.status == 201 and "location" in created.headers,
                      f"POST {creation_path} -> {created.status or created.error}"):
        return
    location = urlsplit(created.headers["location"])
    path = location.path if location.scheme else urljoin(creation_path, created.headers["location"])
    patch = {**tus, "Content-Type": "application/offset+octet-stream"}
    first = conn.request("PATCH", path, {**patch, "Upload-Offset": "0"}, [blob[:100_000]])
    checks.add("tus: PATCH", first.status == 204 and
               first.headers.get("upload-offset") == "100000", f"-> {first.status} {first.headers}")
    head = conn.request("HEAD", path, tus)
    checks.add("tus: HEAD offset", head.status == 200 and
               head.headers.get("upload-offset") == "100000", f"-> {head.status} {head.headers}")
    wrong = conn.request("PATCH", path, {**patch, "Upload-Offset": "0"}, [blob[:10]])
    checks.add("tus: offset mismatch is 409", wrong.status == 409, f"-> {wrong.status}")
    last = conn.request("PATCH", path, {**patch, "Upload-Offset": "100000"}, [blob[100_000:]])
    checks.add("tus: complete", last.status == 204 and
               last.headers.get("upload-offset") == str(len(blob)), f"-> {last.status}")


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

