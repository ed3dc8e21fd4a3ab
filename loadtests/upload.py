"""One upload over a Connection, shared by the Locust scenarios and `bench.py verify`: a
multipart POST (our targets' contract) or whatever `RequestSpec` describes for anyone's
endpoint — another field name, extra form fields, headers, basic auth, a raw PUT body."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from loadtests.http import Connection, Exchange, is_2xx
from loadtests.multipart import CONTENT_TYPE, form_fields, multipart
from loadtests.payload import Body
from loadtests.request import RequestSpec

RAW_CONTENT_TYPE = "application/octet-stream"
NAME = "{name}"  # in a raw upload's URL path: a unique name per upload
_ETAG_MD5 = re.compile(rb'^etag:[ \t]*"?([0-9a-fA-F]{32})"?[ \t]*\r?$', re.IGNORECASE | re.MULTILINE)
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


class UploadRequest:
    """An endpoint's upload request, built once per user (method, headers, form fields), so
    each upload only adds its body and a name."""

    def __init__(self, path: str, spec: RequestSpec | None = None):
        spec = spec or RequestSpec()
        self.spec = spec
        self.path = path
        self.named = spec.raw and NAME in path
        self.method = spec.method
        own = {"Content-Type": RAW_CONTENT_TYPE if spec.raw else CONTENT_TYPE}
        given = spec.request_headers()
        lowered = {name.lower() for name in given}
        self.headers = {**{k: v for k, v in own.items() if k.lower() not in lowered}, **given}
        self.fields = form_fields(spec.form)

    def send(self, conn: Connection, body: Body, name: str, bandwidth: float | None = None,
             start: float | None = None, field: str | None = None) -> tuple[Exchange, dict]:
        """`name`: the file name (multipart) or what replaces {name} in the path (raw).
        `field` overrides the file field (verify's missing-field check)."""
        if self.spec.raw:
            path = self.path.replace(NAME, quote(name)) if self.named else self.path
            ex = conn.request(self.method, path, self.headers, body.parts, body.size,
                              bandwidth=bandwidth, start=start)
        else:
            parts, length = multipart(body, name, field or self.spec.field, fields=self.fields)
            ex = conn.request(self.method, self.path, self.headers, parts, length,
                              bandwidth=bandwidth, start=start)
        return ex, parse_json(ex.body)


def post_upload(conn: Connection, path: str, body: Body, filename: str,
                bandwidth: float | None = None, start: float | None = None,
                field: str = "file") -> tuple[Exchange, dict]:
    """Our targets' contract: a multipart POST with the file in `field`."""
    return UploadRequest(path, RequestSpec(field=field)).send(
        conn, body, filename, bandwidth=bandwidth, start=start)


def parse_json(raw: bytes) -> dict:
    """JSON replies are optional (anyone's endpoint may answer text): {} when not a JSON object."""
    if raw.lstrip()[:1] != b"{":
        return {}  # cheap: otherwise every text reply raises and catches inside json.loads
    try:
        reply = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}
    return reply if isinstance(reply, dict) else {}


def evidence(ex: Exchange, reply: dict) -> dict:
    """What an answer says about the bytes stored: a JSON `sha256` and `bytes`, or an ETag
    that looks like an MD5 (S3 and others: the MD5 of a body sent in one part). Whether that
    ETag really is the body's MD5 is for verify to find out; here it is only collected."""
    sha256 = reply.get("sha256")
    size = reply.get("bytes")
    etag = _ETAG_MD5.search(ex.head)
    return {"server_sha256": sha256 if isinstance(sha256, str) and _SHA256.match(sha256)
            else None,
            "server_bytes": size if isinstance(size, int) and not isinstance(size, bool)
            else None,
            "server_md5": etag.group(1).decode().lower() if etag else None}


PENDING = {"accepted", "pending", "queued", "processing", "running", "in_progress", "started"}
FAILED = {"failed", "error", "errored"}


def final_state(status: int, reply: dict) -> str | None:
    """A status endpoint's answer: "done", "failed", or None while pending. Our targets say so
    in the record's `status` (accepted -> stored/processed/failed); anyone's (--status-url)
    may only answer 202 while it works and 200 when done, with or without such a field."""
    if not is_2xx(status) or status == 202:
        return None
    word = str(reply.get("status", "")).lower()
    if word in PENDING:
        return None
    return "failed" if word in FAILED else "done"
