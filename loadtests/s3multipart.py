"""An S3 multipart upload, as the AWS SDKs do a big file (`--multipart-part-size 8MB
--multipart-concurrency 4`): create, the parts in parallel, complete.

Against any S3 endpoint: `--url http://HOST:PORT/BUCKET/{name}` (path style), credentials
and region from the usual AWS_* environment (never on a command line, never written out).
Each request is presigned locally with botocore (SigV4, no network) and sent over upbench's
own timed client, so every part is measured like any other request. The steps are timed as
`ticket` (create), `transfer` (the parts, from the first start to the last end) and
`complete`; the upload's latency is the whole.

Nothing of gevent or Locust in here: the parts run through the `parallel` map the caller
hands in (greenlets under Locust, threads in verify).
"""

from __future__ import annotations

import functools
import os
import re
import time
from urllib.parse import quote, unquote, urlsplit

from loadtests.http import Connection, Exchange
from loadtests.payload import Body
from loadtests.presign import origin_of
from loadtests.tus import slice_parts

_UPLOAD_ID = re.compile(rb"<UploadId>([^<]+)</UploadId>")
_ETAG = re.compile(rb'^etag:[ \t]*("?[^\r\n]*"?)[ \t]*\r?$', re.IGNORECASE | re.MULTILINE)
MIN_PART = 5 * 2**20  # S3: every part but the last at least 5 MiB


@functools.lru_cache(maxsize=4)
def s3_client(origin: str):
    """A botocore client for presigning only (credentials from the environment)."""
    import botocore.session
    from botocore.config import Config

    session = botocore.session.get_session()
    region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
    return session.create_client("s3", endpoint_url=origin, region_name=region,
                                 config=Config(signature_version="s3v4",
                                               s3={"addressing_style": "path"}))


def bucket_and_key(path: str) -> tuple[str, str]:
    """'/bucket/some/key.bin' -> ('bucket', 'some/key.bin')."""
    bucket, _, key = unquote(path.split("?")[0]).lstrip("/").partition("/")
    if not bucket or not key:
        raise ValueError(f"expected /BUCKET/KEY in the URL path, got {path!r}")
    return bucket, key


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def multipart_upload(uploader, conn: Connection, body: Body, name: str,
                     start: float | None) -> tuple[Exchange, dict, dict]:
    spec = uploader.spec
    bucket, key = bucket_and_key(uploader.path.replace("{name}", quote(name)))
    client = s3_client(origin_of(conn))

    def sign(operation: str, method: str, **params) -> str:
        return _path(client.generate_presigned_url(
            operation, Params={"Bucket": bucket, "Key": key, **params}, HttpMethod=method))

    content_type = spec.content_type or "application/octet-stream"
    created = conn.request("POST", sign("create_multipart_upload", "POST",
                                        ContentType=content_type),
                           {"Content-Type": content_type}, [b""], 0, start=start)
    found = _UPLOAD_ID.search(created.body)
    if created.error or created.status != 200 or not found:
        created.error = created.error or f"s3: create answered {created.status}"
        return created, {}, {}
    upload_id = found.group(1).decode()
    offsets = list(range(0, body.size, spec.part_size)) or [0]

    def put_part(index: int) -> tuple[Exchange, str]:
        size = min(spec.part_size, body.size - offsets[index])
        part_conn = uploader.borrow(conn)
        try:
            ex = part_conn.request("PUT", sign("upload_part", "PUT", UploadId=upload_id,
                                               PartNumber=index + 1),
                                   {}, slice_parts(body.parts, offsets[index], size), size,
                                   expect_continue=spec.continue_wait)
        finally:
            uploader.give_back(part_conn)
        etag = _ETAG.search(ex.head)
        return ex, etag.group(1).decode() if etag else ""

    began = time.time()
    sent = uploader.parallel(put_part, range(len(offsets)), spec.part_concurrency)
    phases = {"ticket": created.end - created.start, "transfer": time.time() - began,
              "parts": len(sent)}
    failed = next((ex for ex, etag in sent if ex.error or ex.status != 200 or not etag), None)
    if failed is not None:
        failed.error = failed.error or f"s3: a part answered {failed.status}"
        failed.start = created.start
        return failed, {}, phases
    xml = "".join(f"<Part><PartNumber>{i + 1}</PartNumber><ETag>{etag}</ETag></Part>"
                  for i, (_, etag) in enumerate(sent))
    document = f"<CompleteMultipartUpload>{xml}</CompleteMultipartUpload>".encode()
    done = conn.request("POST", sign("complete_multipart_upload", "POST", UploadId=upload_id),
                        {"Content-Type": "application/xml"}, [document])
    phases["complete"] = done.end - done.start if done.end else None
    if b"<Error>" in done.body and not done.error:  # S3 may answer 200 and fail in the body
        done.error = "s3: complete failed: " + done.body[:200].decode("utf-8", "replace")
    last_part = max((ex for ex, _ in sent), key=lambda ex: ex.end or 0)
    whole = Exchange(start=created.start, sent=last_part.sent, ttfb=done.ttfb, end=done.end,
                     status=done.status, head=done.head, body=done.body, error=done.error,
                     connecting=created.connecting, tls_handshaking=created.tls_handshaking)
    return whole, {"id": key}, phases

