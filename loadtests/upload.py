"""One upload over a Connection, shared by the Locust scenarios and `bench.py verify`: a
multipart POST (our targets' contract) or whatever `RequestSpec` describes for anyone's
endpoint — another field name, extra form fields, headers, basic auth, a raw PUT body, a
real file's bytes, type and name, 100-continue, a chunked body — and how the bytes travel:
in the request (`direct`), through the app's ticket (`presign`), or as an S3 multipart upload.

File names: `--filename TEMPLATE` with {n} (a number unique to each upload of the run: the
caller's), {uuid} and {name} (the --file's own name, or upbench's unique `u…-….bin`);
without a template a --file goes up under its own name, random bytes under the unique one.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from loadtests.http import Connection, Exchange, is_2xx
from loadtests.multipart import CONTENT_TYPE, form_fields, multipart
from loadtests.payload import Body
from loadtests.presign import origin_of, presigned_upload
from loadtests.request import RequestSpec
from loadtests.s3multipart import multipart_upload

RAW_CONTENT_TYPE = "application/octet-stream"
NAME = "{name}"  # in a raw upload's URL path: a unique name per upload
_ETAG_MD5 = re.compile(rb'^etag:[ \t]*"?([0-9a-fA-F]{32})"?[ \t]*\r?$', re.IGNORECASE | re.MULTILINE)
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def threads_map(fn: Callable, items, n: int) -> list:
    """The default `parallel`: OS threads (verify, plain Python). Under Locust the scenario
    hands in greenlets instead."""
    with ThreadPoolExecutor(max_workers=max(1, n)) as pool:
        return list(pool.map(fn, items))


class UploadRequest:
    """An endpoint's upload request, built once per user (method, headers, form fields), so
    each upload only adds its body and a name. `connect(origin)` opens a connection to
    another origin (storage, for presigned and S3 multipart uploads); `parallel(fn, items,
    n)` maps with n at a time (S3 parts)."""

    def __init__(self, path: str, spec: RequestSpec | None = None,
                 connect: Callable[[str], Connection] | None = None,
                 parallel: Callable = threads_map):
        spec = spec or RequestSpec()
        self.spec = spec
        self.path = path
        self.named = spec.raw and NAME in path
        self.method = spec.method
        own = {"Content-Type": (spec.content_type or RAW_CONTENT_TYPE) if spec.raw
               else CONTENT_TYPE}
        given = spec.request_headers()
        lowered = {name.lower() for name in given}
        self.headers = {**{k: v for k, v in own.items() if k.lower() not in lowered}, **given}
        self.fields = form_fields(spec.form)
        self.part_type = spec.content_type or RAW_CONTENT_TYPE
        self.connect = connect or self._connect
        self.parallel = parallel
        self._others: dict[str, Connection] = {}   # origin -> a kept-alive connection
        self._spare: list[Connection] = []         # for parts in parallel

    def _connect(self, origin: str) -> Connection:
        tls = self.spec.tls_context() if origin.startswith("https:") else None
        return Connection(origin, timeout=60, tls=tls)

    def file_name(self, default: str, body: Body, n: str | None = None) -> str:
        """The upload's file name: the --filename template filled in, else the --file's own
        name, else `default` (upbench's unique name)."""
        template = self.spec.filename
        if not template:
            return body.name or default
        return (template.replace("{n}", n or str(int.from_bytes(os.urandom(6), "big")))
                .replace("{uuid}", uuid.uuid4().hex).replace("{name}", body.name or default))

    def send(self, conn: Connection, body: Body, name: str, bandwidth: float | None = None,
             start: float | None = None, field: str | None = None,
             watch: bool = False) -> tuple[Exchange, dict]:
        """One request carrying the body. `name`: the file name (multipart) or what replaces
        {name} in the path (raw). `field` overrides the file field (verify's missing-field
        check); `watch`: stop sending at an early answer (the oversize scenario)."""
        spec = self.spec
        if spec.raw:
            path = self.path.replace(NAME, quote(name)) if self.named else self.path
            parts, length = body.parts, body.size
        else:
            path = self.path
            parts, length = multipart(body, name, field or spec.field, self.part_type,
                                      fields=self.fields)
        ex = conn.request(self.method, path, self.headers, parts, length, bandwidth=bandwidth,
                          start=start, expect_continue=spec.continue_wait, chunked=spec.chunked,
                          watch=watch)
        return ex, self.reply(ex)

    def upload(self, conn: Connection, body: Body, name: str, bandwidth: float | None = None,
               start: float | None = None) -> tuple[Exchange, dict, dict]:
        """One upload however it travels: (the upload as one exchange, the reply, the timed
        steps of a multi-request upload: ticket, transfer, complete)."""
        if self.spec.transfer == "presign":
            return presigned_upload(self, conn, body, name, start)
        if self.spec.transfer == "s3-multipart":
            return multipart_upload(self, conn, body, name, start)
        ex, reply = self.send(conn, body, name, bandwidth=bandwidth, start=start)
        return ex, reply, {}

    @staticmethod
    def reply(ex: Exchange) -> dict:
        return parse_json(ex.body)

    def connection_to(self, origin: str, app: Connection) -> Connection:
        """A kept-alive connection to `origin` (the app's own when it is the same)."""
        if origin == origin_of(app):
            return app
        if origin not in self._others:
            self._others[origin] = self.connect(origin)
        return self._others[origin]

    def borrow(self, app: Connection) -> Connection:
        """A connection of its own to the app's origin, for one of several parallel parts."""
        return self._spare.pop() if self._spare else self.connect(origin_of(app))

    def give_back(self, conn: Connection) -> None:
        self._spare.append(conn)

    def close(self) -> None:
        for conn in [*self._others.values(), *self._spare]:
            conn.close()
        self._others.clear()
        self._spare.clear()



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
