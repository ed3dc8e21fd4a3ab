"""Errors reported as what they are: an error while measuring is not "did not start", and a
storage backend that fails is an error of that backend, never lost uploads."""

from __future__ import annotations

import json

import pytest

from targets.common.store import UploadStore
from upbench import registry
from upbench.lifecycle.ports import free_port
from upbench.lifecycle.processes import StartError
from upbench.lifecycle.server import ServerOptions, serve
from upbench.measure import integrity
from upbench.measure.storage import Storage, StorageError


def test_an_oserror_while_serving_is_not_a_start_error(tmp_path):
    spec = registry.discover()["flask-sync"]
    with pytest.raises(OSError) as caught:
        with serve(spec, ServerOptions(workers=1), tmp_path):
            raise ConnectionResetError("the measurement broke, not the start")
    assert not isinstance(caught.value, StartError)
    assert "measurement broke" in str(caught.value)


def _s3_acked_upload(data_dir, endpoint: str):
    """A record of an upload the `s3` target acknowledged, and its sample."""
    store = UploadStore(data_dir)
    upload = store.new("x.bin")
    store.save(upload, "stored", 10, "ab" * 32, location="s3://upbench/some/key")
    sample = {"kind": "upload", "status": 201, "upload_id": upload.id, "bytes": 10,
              "server_sha256": "ab" * 32, "expected_sha256": "ab" * 32}
    env = {"UPBENCH_S3_ENDPOINT": endpoint, "AWS_ACCESS_KEY_ID": "x",
           "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
    return Storage(data_dir, env), sample


def test_an_unreachable_s3_endpoint_is_a_storage_error_not_data_loss(tmp_path):
    # nothing listens on this port: every S3 call fails to connect
    storage, sample = _s3_acked_upload(tmp_path, f"http://127.0.0.1:{free_port()}")
    storage._client().meta.config.retries = {"max_attempts": 1}
    with pytest.raises(StorageError, match="S3 HEAD at http://127.0.0.1"):
        integrity.check([sample], storage)
    unchecked = integrity.unchecked([sample])
    assert unchecked["lost"] == 0 and unchecked["storage_error"] is True
    assert unchecked["verified"] == 1  # the server-reported digest still matched


def test_a_missing_s3_object_is_lost(tmp_path):
    """The other side: the endpoint answers, the object is not there -> lost."""
    from contextlib import ExitStack

    from upbench.lifecycle import services
    with ExitStack() as stack:
        _, env = services.start_service("s3", tmp_path / "data", tmp_path, stack)
        storage, sample = _s3_acked_upload(tmp_path / "data", env["UPBENCH_S3_ENDPOINT"])
        result = integrity.check([sample], storage)
    assert result["lost"] == 1 and result["verified"] == 0
    assert json.dumps(result)
