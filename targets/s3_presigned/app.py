"""s3-presigned — seed 001's "integrate cloud storage" done the way large-file guides
recommend: the bytes never pass through the app. Beside `s3` (which streams every upload
through its workers), so a run of both shows what taking the bytes off the app server costs
and saves (its CPU and RSS against `s3`'s).

- `POST /presign` `{"filename", "size", "content_type"}` -> a ticket (loadtests/presign.py's
  shape): a presigned PUT (`url`, `method`, the `headers` it was signed with), or with
  `?form=post` a presigned POST (`url`, `fields`, a content-length-range up to the limit);
  and `complete`, the call that says the upload is there. A size over the limit: 413.
- `POST /uploads/<id>/complete` -> the app looks at the object (HEAD: is it there, is it the
  size announced?), does the work (`sha256`: it reads the object back from storage and hashes
  it — the processing a pipeline would do; `--work none` leaves the transport alone), and
  answers 201 with the record. A missing or wrong-sized object: 400, and it is deleted.
- `GET /uploads/<id>`, `GET /health` as every target.

The object key is `<id>/<sanitised name>`, and the record says where the bytes are
(`location: s3://bucket/key`), as the `s3` target's do.
"""

import hashlib
import os

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from flask import request

from targets.common.flask_app import create_app, error

BUCKET = os.environ.get("UPBENCH_S3_BUCKET", "upbench")
EXPIRES_S = 3600
READ_CHUNK = 1 << 20

app, settings, store = create_app(__name__)
s3 = boto3.client("s3", endpoint_url=os.environ.get("UPBENCH_S3_ENDPOINT") or None)


@app.post("/presign")
def presign():
    asked = request.get_json(silent=True)
    if not isinstance(asked, dict):
        return error(400, "expected a JSON object {filename, size, content_type}")
    name, size = asked.get("filename"), asked.get("size")
    content_type = str(asked.get("content_type") or "application/octet-stream")
    if not isinstance(name, str) or not name:
        return error(400, "missing filename")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return error(400, "missing or bad size")
    if size > settings.max_upload:
        return error(413, f"upload larger than the limit of {settings.max_upload} bytes")
    stored = store.new(name)
    stored.path.parent.rmdir()  # nothing on local disk: the bytes go to the bucket
    key = f"{stored.id}/{stored.filename}"
    store.save(stored, "accepted", None, None, location=f"s3://{BUCKET}/{key}",
               expected_bytes=size)
    try:
        ticket = _post_ticket(key, content_type) if request.args.get("form") == "post" \
            else _put_ticket(key, content_type)
    except (BotoCoreError, ClientError) as exc:
        store.discard(stored)
        return error(502, f"storage error: {exc}")
    ticket.update(id=stored.id, complete={"url": f"/uploads/{stored.id}/complete",
                                          "method": "POST"})
    return ticket, 200


def _put_ticket(key: str, content_type: str) -> dict:
    url = s3.generate_presigned_url("put_object", HttpMethod="PUT", ExpiresIn=EXPIRES_S,
                                    Params={"Bucket": BUCKET, "Key": key,
                                            "ContentType": content_type})
    return {"url": url, "method": "PUT", "headers": {"Content-Type": content_type}}


def _post_ticket(key: str, content_type: str) -> dict:
    post = s3.generate_presigned_post(
        BUCKET, key, Fields={"Content-Type": content_type}, ExpiresIn=EXPIRES_S,
        Conditions=[{"Content-Type": content_type},
                    ["content-length-range", 0, settings.max_upload]])
    return {"url": post["url"], "fields": post["fields"]}


@app.post("/uploads/<upload_id>/complete")
def complete(upload_id: str):
    record = store.get(upload_id)
    if record is None:
        return error(404, "unknown upload id")
    if record["status"] == "stored":
        return record, 200  # said twice: the same answer
    bucket, _, key = record["location"].removeprefix("s3://").partition("/")
    try:
        size = s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return error(400, "nothing was uploaded for this id")
        return error(502, f"storage error: {exc}")
    if size != record.get("expected_bytes"):
        _delete(bucket, key)
        return error(400, f"{size} bytes arrived, {record.get('expected_bytes')} announced")
    upload = store.upload(record)
    sha256 = _object_sha256(bucket, key) if settings.work.kind == "sha256" else None
    if settings.work.kind in ("cpu", "sleep"):
        settings.work.run(upload.path)
    saved = store.save(upload, "stored", size, sha256, location=record["location"])
    return saved, 201


def _object_sha256(bucket: str, key: str) -> str:
    digest = hashlib.sha256()
    for chunk in s3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(READ_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _delete(bucket: str, key: str) -> None:
    try:
        s3.delete_object(Bucket=bucket, Key=key)
    except (BotoCoreError, ClientError):
        pass
