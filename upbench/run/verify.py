"""Verify before measuring (TechEmpower's rule): a target that fails is skipped, with reasons.

Our targets: uploads known payloads — tiny, just over Werkzeug's 500 KB in-memory spool
threshold, and a few MB — and checks the status code, the echoed byte count and sha256, the
status endpoint, and the bytes on disk; then a few contract answers: 404 for an unknown id,
400 for a missing field.

Anyone's endpoint (`--url`) is checked from outside, and advisorily: the same uploads must
answer success (else nothing is measured), and each of these is reported without stopping
the run: what the answers say about the bytes (a JSON sha256 or byte count, an ETag that is
the body's MD5 — or nothing: "unverified"), a missing file field answered 4xx (not 5xx or a
hang), and an oversized body answered 4xx — only where a limit is known (`--max-upload`, or
a tus server's Tus-Max-Size): without one, "oversized" means nothing and the check is skipped.
"""

from __future__ import annotations

import os

from loadtests.http import Connection, Exchange, is_2xx
from loadtests.payload import Body, FilePayload, Payload
from loadtests.request import MASK, RequestSpec, is_secret
from loadtests.tus import CHUNK_TYPE, TUS, location_path, metadata
from loadtests.upload import UploadRequest, evidence, final_state, parse_json, post_upload
from upbench.lifecycle.processes import poll_until
from upbench.run.subject import Subject

SIZES = (1024, 600 * 1024, 5 * 2**20)
COMPLETION_TIMEOUT_S = 30.0
REFUSAL_TIMEOUT_S = 15.0  # a refusal (4xx) that takes longer than this counts as a hang
# From the strongest evidence about the stored bytes to none (verify reports the weakest seen)
DIGESTS = ("sha256", "etag-md5", "bytes", None)
DIGEST_TEXT = {
    "sha256": "sha256 in the JSON answer: every upload's bytes are checked",
    "etag-md5": "the ETag is the body's MD5: every upload's bytes are checked",
    "bytes": "byte count in the JSON answer: sizes are checked, contents unverified",
    None: "unverified: the endpoint returns no digest",
}


class Checks:
    def __init__(self):
        self.items: list[dict] = []

    def add(self, name: str, ok: bool, detail: str = "", advisory: bool = False,
            skipped: bool = False) -> bool:
        """`advisory`: reported, but the target is measured anyway."""
        item = {"name": name, "ok": bool(ok), "detail": detail}
        if advisory:
            item["advisory"] = True
        if skipped:
            item["skipped"] = True
        self.items.append(item)
        return ok

    @property
    def ok(self) -> bool:
        return all(c["ok"] for c in self.items if not c.get("advisory"))


def verify(subject: Subject) -> dict:
    """The verify record of results.json (docs/contracts.md): {target, ok, checks, ...}."""
    checks = Checks()
    conn = subject.connection(timeout=60)
    digests = []
    try:
        if subject.health_path:
            ex = conn.request("GET", subject.health_path)
            checks.add("health", ex.status == 200, f"GET {subject.health_path} -> {ex.status or ex.error}")
        if subject.multipart:
            for payload in _payloads(subject):
                digests.append(_check_upload(checks, conn, subject, payload))
        if subject.tus_path:
            _check_tus(checks, conn, subject)
        if subject.status_path and not subject.advisory:
            ex = conn.request("GET", subject.status_path.format(id="0" * 32))
            checks.add("unknown id is 404", ex.status == 404 and "error" in parse_json(ex.body),
                       f"-> {ex.status} {ex.body[:80]!r}")
            _check_missing_field(checks, conn, subject)
    finally:
        conn.close()
    result = {"target": subject.name, "ok": checks.ok, "checks": checks.items}
    if subject.advisory:
        result["external"] = True
        result["digest"] = None
        if subject.multipart and checks.ok:
            result["digest"] = _report_digest(checks, digests)
            _check_refusals(checks, subject)
    return result


def skipped_verify(name: str) -> dict:
    """`--no-verify`: nothing checked; said so in the results and the report."""
    return {"target": name, "ok": True, "external": True, "digest": None, "checks": [
        {"name": "verify", "ok": True, "advisory": True, "skipped": True,
         "detail": "skipped (--no-verify): integrity is judged from the answers alone"}]}


def _payloads(subject: Subject) -> list:
    """Random bodies of SIZES (ours: those under its limit), or each --file once."""
    request: RequestSpec = subject.request
    if request.files:
        return [FilePayload((path,)) for path in request.files]
    limit = int(subject.running.env.get("UPBENCH_MAX_UPLOAD", SIZES[-1])) \
        if subject.running else SIZES[-1]
    return [Payload(size) for size in
            (tuple(s for s in SIZES if s <= limit) or (min(SIZES[0], limit),))]


def _check_upload(checks: Checks, conn: Connection, subject: Subject, payload) -> str | None:
    """One upload of `payload`; anyone's endpoint: what its answer proves (DIGESTS)."""
    size = payload.size
    label = f"upload {size} B"
    body = payload.unique()
    uploader = UploadRequest(subject.verify_path, subject.request)
    name = uploader.file_name(f"verify-{size}-{os.urandom(4).hex()}.bin", body)
    try:
        ex, reply, _ = uploader.upload(conn, body, name)
    finally:
        uploader.close()
    expect = subject.request.expect
    if not checks.add(f"{label}: " + ("answers " + "/".join(map(str, expect)) if expect
                                      else "2xx"), subject.request.success(ex.status),
                      f"-> {ex.status or ex.error} {ex.body[:120]!r}"):
        return None
    if subject.answer is not None:
        checks.add(f"{label}: answers {subject.answer}", ex.status == subject.answer,
                   f"-> {ex.status}, the spec says {subject.answer}")
    if subject.advisory:
        return _external_answer(checks, conn, subject, label, ex, reply, body, payload)
    if not checks.add(f"{label}: reply", {"id", "bytes", "status"} <= reply.keys(),
                      f"reply {reply}"):
        return None
    checks.add(f"{label}: bytes echoed", reply["bytes"] == size, f"{reply['bytes']} vs {size}")
    record = reply
    if ex.status == 202 or reply.get("status") == "accepted":
        record = _await_final(conn, subject, reply["id"])[1]
        if not checks.add(f"{label}: completes", record.get("status") in ("stored", "processed"),
                          f"final record {record}"):
            return None
    if record.get("sha256") is not None:
        checks.add(f"{label}: sha256", record["sha256"] == body.sha256,
                   f"{record['sha256']} vs {body.sha256}")
    ex2 = conn.request("GET", subject.status_path.format(id=reply["id"]))
    shown = parse_json(ex2.body)
    checks.add(f"{label}: status endpoint", ex2.status == 200 and shown.get("id") == reply["id"]
               and shown.get("bytes") == size, f"-> {ex2.status} {shown}")
    if subject.storage is not None:
        stored = subject.storage.record(reply["id"])
        same = stored is not None and subject.storage.size(stored) == size and \
            subject.storage.sha256(stored) == body.sha256
        checks.add(f"{label}: bytes in storage", same,
                   f"{(stored or {}).get('location') or (stored or {}).get('filename')}")
    return "sha256"


def _external_answer(checks: Checks, conn: Connection, subject: Subject, label: str, ex: Exchange,
                     reply: dict, body: Body, payload: Payload) -> str | None:
    """What anyone's answer proves about the bytes, and its completion via --status-url."""
    found = evidence(ex, reply)
    if found["server_sha256"]:  # a wrong sha256 is a wrong upload, not a matter of advice
        checks.add(f"{label}: sha256", found["server_sha256"] == body.sha256,
                   f"{found['server_sha256']} vs {body.sha256}")
    if found["server_bytes"] is not None:
        checks.add(f"{label}: bytes echoed", found["server_bytes"] == body.size,
                   f"{found['server_bytes']} vs {body.size}", advisory=True)
    if subject.status_path:
        if reply.get("id") is None:
            checks.add(f"{label}: status", False, "--status-url is set, but the answer has no "
                       f"JSON id to poll: {ex.body[:80]!r}", advisory=True)
        elif ex.status == 202:
            state, record = _await_final(conn, subject, str(reply["id"]))
            checks.add(f"{label}: completes", state == "done", f"{state}: {record}")
            found["server_sha256"] = found["server_sha256"] or evidence(ex, record)["server_sha256"]
    if found["server_sha256"]:
        return "sha256"
    if found["server_md5"]:
        if found["server_md5"] == payload.md5(body):
            return "etag-md5"
        checks.add(f"{label}: ETag", False, f"ETag {found['server_md5']} looks like an MD5 but "
                   "is not the body's: not used as a digest", advisory=True)
    return "bytes" if found["server_bytes"] == body.size else None


def _report_digest(checks: Checks, digests: list[str | None]) -> str | None:
    """The weakest evidence any of the uploads carried: what every upload can be held to."""
    weakest = max(digests, key=DIGESTS.index) if digests else None
    checks.add("digest", weakest in ("sha256", "etag-md5"), DIGEST_TEXT[weakest], advisory=True)
    return weakest


def _check_refusals(checks: Checks, subject: Subject) -> None:
    """A missing file field and a body over the known limit must answer 4xx: not a 5xx, not
    a 2xx (accepted without its file?), not a hang."""
    uploader = UploadRequest(subject.verify_path, subject.request)
    if subject.request.transfer != "direct":
        checks.add("refusals", True, "not applicable: the bytes go to storage, not to the "
                   "endpoint", advisory=True, skipped=True)
        return
    conn = subject.connection(timeout=REFUSAL_TIMEOUT_S)
    try:
        if subject.request.raw:
            checks.add("missing field is 4xx", True, "not applicable: a raw body has no fields",
                       advisory=True, skipped=True)
        else:
            ex, _ = uploader.send(conn, Payload(16).unique(),
                                  uploader.file_name("x.bin", Body((), 0, "")),
                                  field=f"not-{subject.request.field}")
            checks.add("missing field is 4xx", 400 <= ex.status < 500, _answer(ex),
                       advisory=True)
        if subject.limit is None:
            checks.add("oversized body is 4xx", True, "skipped: no upload limit known "
                       "(--max-upload SIZE says the endpoint's)", advisory=True, skipped=True)
        else:
            ex, _ = uploader.send(conn, _filler(subject.limit + 1),
                                  uploader.file_name("oversized.bin", Body((), 0, "")))
            checks.add("oversized body is 4xx", 400 <= ex.status < 500,
                       f"{subject.limit + 1} bytes " + _answer(ex), advisory=True)
    finally:
        conn.close()


def _answer(ex: Exchange) -> str:
    if ex.status:
        return f"-> {ex.status} {ex.body[:80]!r}"
    return f"-> no answer within {REFUSAL_TIMEOUT_S:g} s" if "imeout" in (ex.error or "") or \
        "BlockingIOError" in (ex.error or "") else f"-> {ex.error}"


def _filler(size: int) -> Body:
    """A random body of any size from one 1 MiB block (never zeros; no size x memory)."""
    block = memoryview(os.urandom(min(size, 2**20)))
    whole, rest = divmod(size, len(block))
    return Body((block,) * whole + ((block[:rest],) if rest else ()), size, "")


def _check_tus(checks: Checks, conn: Connection, subject: Subject) -> None:
    """tus 1.0 core + creation, as any tus server must answer: OPTIONS (version, extensions,
    max size), create with Upload-Metadata (filename, filetype), PATCH in two chunks, HEAD for
    the offset in between, 409 for a PATCH at the wrong offset, and 413 for a creation over
    the max size when one is known."""
    creation_path, advisory = subject.tus_path, subject.advisory
    tus = {**TUS, **subject.request.request_headers()}
    limit = _check_options(checks, conn, creation_path, tus, advisory, subject.limit)
    data = Payload(300_000).unique()
    blob = b"".join(bytes(p) for p in data.parts)
    created = conn.request("POST", creation_path, {**tus, "Upload-Length": str(len(blob)),
                                                   "Upload-Metadata": metadata("verify.bin")})
    if not checks.add("tus: create", created.status == 201 and "location" in created.headers,
                      f"POST {creation_path} -> {created.status or created.error}"):
        return
    path = location_path(created.headers["location"], creation_path)
    patch = {**tus, **CHUNK_TYPE}
    first = conn.request("PATCH", path, {**patch, "Upload-Offset": "0"}, [blob[:100_000]])
    checks.add("tus: PATCH", first.status == 204 and
               first.headers.get("upload-offset") == "100000", f"-> {first.status} {_shown(first)}")
    head = conn.request("HEAD", path, tus)
    checks.add("tus: HEAD offset", head.status == 200 and
               head.headers.get("upload-offset") == "100000", f"-> {head.status} {_shown(head)}")
    wrong = conn.request("PATCH", path, {**patch, "Upload-Offset": "0"}, [blob[:10]])
    checks.add("tus: offset mismatch is 409", wrong.status == 409, f"-> {wrong.status}",
               advisory=advisory)
    last = conn.request("PATCH", path, {**patch, "Upload-Offset": "100000"}, [blob[100_000:]])
    checks.add("tus: complete", last.status == 204 and
               last.headers.get("upload-offset") == str(len(blob)), f"-> {last.status}")
    if advisory:
        checks.add("tus: digest", False, "the server confirms each upload's size (its final "
                   "Upload-Offset), not its contents: unverified", advisory=True)
    if limit is not None:
        over = conn.request("POST", creation_path, {**tus, "Upload-Length": str(limit + 1),
                                                    "Upload-Metadata": metadata("big.bin")})
        checks.add("tus: over the max size is 413", over.status == 413,
                   f"Upload-Length {limit + 1} -> {over.status or over.error}", advisory=advisory)


def _shown(ex: Exchange) -> dict:
    """Response headers for a check's detail, a Set-Cookie or the like masked."""
    return {k: MASK if is_secret(k) else v for k, v in ex.headers.items()}


def _check_options(checks: Checks, conn: Connection, path: str, tus: dict, advisory: bool,
                   limit: int | None) -> int | None:
    """OPTIONS: Tus-Version, Tus-Extension, Tus-Max-Size. Returns the size limit to test."""
    ex = conn.request("OPTIONS", path, tus)
    headers = ex.headers if ex.status else {}
    versions = headers.get("tus-version", "")
    extensions = [e.strip() for e in headers.get("tus-extension", "").split(",") if e.strip()]
    max_size = headers.get("tus-max-size", "")
    checks.add("tus: OPTIONS", is_2xx(ex.status) and "1.0.0" in versions,
               f"-> {ex.status or ex.error}; Tus-Version {versions or '-'}; Tus-Extension "
               f"{','.join(extensions) or '-'}; Tus-Max-Size {max_size or 'not given'}",
               advisory=advisory)
    checks.add("tus: creation extension", "creation" in extensions,
               f"Tus-Extension {','.join(extensions) or '-'}", advisory=advisory)
    known = [n for n in (int(max_size) if max_size.isdigit() else None, limit) if n]
    return min(known) if known else None


def _await_final(conn: Connection, subject: Subject, upload_id: str) -> tuple[str, dict]:
    """Poll the status endpoint as the scenario polls it (loadtests.upload.final_state):
    ("done" | "failed" | "timeout", the last record)."""
    headers = subject.request.request_headers()
    last: dict = {}

    def final() -> str | None:
        ex = conn.request("GET", subject.status_path.replace("{id}", upload_id), headers)
        last.clear()
        last.update(parse_json(ex.body))
        return final_state(ex.status, last)
    return poll_until(final, COMPLETION_TIMEOUT_S) or "timeout", last


def _check_missing_field(checks: Checks, conn: Connection, subject: Subject) -> None:
    body = Payload(16).unique()
    ex, reply = post_upload(conn, subject.verify_path, body, "x.bin", field="not-file")
    checks.add("missing field is 400", ex.status == 400 and "error" in reply,
               f"-> {ex.status} {ex.body[:80]!r}")
