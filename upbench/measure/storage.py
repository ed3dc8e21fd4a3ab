"""Where a target put an upload's bytes, read back by the harness (verify, integrity checks).

A record with `location: s3://bucket/key` lives in an S3 endpoint (the `s3` target); any other
record's bytes are at `<data dir>/<id>/<filename>`. The S3 endpoint is the one the target was
given (`UPBENCH_S3_ENDPOINT` in its environment).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from targets.common.store import UploadStore
from targets.common.work import file_sha256


class StorageError(RuntimeError):
    """The storage backend itself failed (credentials, connection): not a missing upload."""


class Storage:
    def __init__(self, data_dir: Path, env: dict | None = None):
        self.data_dir = data_dir
        self.env = env or {}
        self._store = UploadStore(data_dir)  # the targets' own layout: one source of truth
        self._s3 = None

    def record(self, upload_id: str) -> dict | None:
        try:
            return self._store.get(upload_id)
        except ValueError:  # a half-written or foreign file: no record
            return None

    def _path(self, record: dict) -> Path:
        return self._store.upload(record).path

    def size(self, record: dict) -> int | None:
        """Bytes stored for this record, None when absent."""
        if _is_s3(record):
            bucket, key = _split(record["location"])
            with self._s3_errors("HEAD"):
                try:
                    return self._client().head_object(Bucket=bucket, Key=key)["ContentLength"]
                except self._client().exceptions.ClientError as exc:
                    if _status(exc) == 404:
                        return None  # really not there: lost
                    raise
        path = self._path(record)
        return path.stat().st_size if path.is_file() else None

    def sha256(self, record: dict) -> str:
        if _is_s3(record):
            bucket, key = _split(record["location"])
            digest = hashlib.sha256()
            with self._s3_errors("GET"):
                body = self._client().get_object(Bucket=bucket, Key=key)["Body"]
                for chunk in body.iter_chunks(1 << 20):
                    digest.update(chunk)
            return digest.hexdigest()
        return file_sha256(self._path(record))

    def clean(self) -> None:
        """Forget every upload (between load levels): files, records, and S3 objects."""
        for path in self.data_dir.glob("*.json"):
            record = self.record(path.stem)
            if record and _is_s3(record):
                bucket, key = _split(record["location"])
                with self._s3_errors("DELETE"):
                    self._client().delete_object(Bucket=bucket, Key=key)
        for entry in self.data_dir.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)

    @contextmanager
    def _s3_errors(self, what: str) -> Iterator[None]:
        """botocore's errors (no credentials, endpoint unreachable, 403...) as StorageError."""
        import botocore.exceptions

        try:
            yield
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            endpoint = self.env.get("UPBENCH_S3_ENDPOINT") or "AWS"
            raise StorageError(f"S3 {what} at {endpoint}: {exc}") from exc

    def _client(self):
        if self._s3 is None:
            import boto3

            self._s3 = boto3.client(
                "s3", endpoint_url=self.env.get("UPBENCH_S3_ENDPOINT") or None,
                aws_access_key_id=self.env.get("AWS_ACCESS_KEY_ID"),
                aws_secret_access_key=self.env.get("AWS_SECRET_ACCESS_KEY"),
                region_name=self.env.get("AWS_DEFAULT_REGION", "us-east-1"))
        return self._s3


def _is_s3(record: dict) -> bool:
    return str(record.get("location", "")).startswith("s3://")


def _status(exc) -> int | None:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def _split(location: str) -> tuple[str, str]:
    bucket, _, key = location.removeprefix("s3://").partition("/")
    return bucket, key
