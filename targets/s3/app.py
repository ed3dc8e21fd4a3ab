"""s3 — seed 001's "integrate cloud storage": `s3.upload_fileobj(file, bucket, key)`.

The seed passes `request.files['file']`, i.e. a body Werkzeug has already spooled; here the
file part is streamed from `request.stream` (the incremental parser of flask-stream) into
`upload_fileobj`, hashing on the way. What `upload_fileobj` buffers is set, not left to the
defaults: a non-seekable stream is read into memory part by part, up to
`max_in_memory_upload_chunks` (10) parts of 8 MB queued plus those in flight on 10 threads.
Here: 8 MB parts, 2 threads, 2 parts buffered, so a few tens of MB per upload at most (and
see HashingReader for how a short read makes it hold the whole upload instead).
The object key is `<id>/<sanitised name>`; the record in the data dir says where the bytes
are (`location`), so `GET /uploads/<id>` works as elsewhere.

Endpoint: `UPBENCH_S3_ENDPOINT` + `UPBENCH_S3_BUCKET` and the usual AWS_* credentials (the
harness starts a local endpoint and sets them; point them at a real bucket to measure one).
"""

import hashlib
import os

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import request
from werkzeug.exceptions import ClientDisconnected

from targets.common.flask_app import create_app, error
from targets.common.multipart_reader import BadUpload, FilePart, boundary_of

MB = 1 << 20
TRANSFER = TransferConfig(multipart_threshold=8 * MB, multipart_chunksize=8 * MB,
                          max_concurrency=2)
TRANSFER.max_in_memory_upload_chunks = 2  # an s3transfer setting boto3's constructor doesn't take
BUCKET = os.environ.get("UPBENCH_S3_BUCKET", "upbench")

app, settings, store = create_app(__name__)
# Over HTTPS (any real S3) botocore sends a CRC32 and does not sha256 the body for the
# signature; over the harness's plain-HTTP endpoint it would, a cost production never pays.
s3 = boto3.client("s3", endpoint_url=os.environ.get("UPBENCH_S3_ENDPOINT") or None,
                  config=Config(s3={"payload_signing_enabled": False}))


class HashingReader:
    """A read()-able view of the file part that counts (and, with work sha256, hashes) what
    boto3 pulls.

    Reads are *filled*: s3transfer probes a non-seekable stream with one read of
    `multipart_threshold` bytes and takes a short answer to mean "that is all there is" — it
    then reads the rest with `read()` into memory for a single PUT (a 256 MB upload held
    whole, ~1 GB RSS at 4 concurrent uploads, before this was filled)."""

    def __init__(self, src, hashing: bool):
        self.src = src
        self.size = 0
        self.digest = hashlib.sha256() if hashing else None

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            data = self.src.read()
        else:
            parts = []
            while n > 0 and (chunk := self.src.read(n)):
                parts.append(chunk)
                n -= len(chunk)
            data = b"".join(parts)
        self.size += len(data)
        if self.digest:
            self.digest.update(data)
        return data


@app.post("/upload")
def upload():
    try:
        part = FilePart(request.stream, boundary_of(request.content_type))
        reader = HashingReader(part, hashing=settings.work.kind == "sha256")
        stored = store.new(part.filename)
        key = f"{stored.id}/{stored.filename}"
        try:
            s3.upload_fileobj(reader, BUCKET, key, Config=TRANSFER)
            part.finish()
        except BaseException:
            store.discard(stored)
            _delete(key)
            raise
        stored.path.parent.rmdir()  # nothing on local disk: the bytes are in the bucket
        # sha256 is the digest of the bytes streamed to S3 (the work: hashing while streaming)
        sha256 = reader.digest.hexdigest() if reader.digest else None
        if settings.work.kind in ("cpu", "sleep"):
            settings.work.run(stored.path)
        record = store.save(stored, "stored", reader.size, sha256,
                            location=f"s3://{BUCKET}/{key}")
        return record, 201
    except BadUpload as exc:
        return error(400, str(exc))
    except ClientDisconnected:
        return error(400, "client disconnected before the body was complete")
    except (BotoCoreError, ClientError) as exc:
        return error(502, f"storage error: {exc}")


def _delete(key: str) -> None:
    try:
        s3.delete_object(Bucket=BUCKET, Key=key)
    except (BotoCoreError, ClientError):
        pass
