"""The upload shapes production apps use, against servers nobody here wrote (installed from
PyPI, the `test` extra, started for real on free ports):

- pypiserver: a package index's upload form (field `content`, `:action=file_upload`, package
  file names only: `--filename 'pkg-1.0.{n}.tar.gz'`);
- an aiohttp multipart handler (tests/apps/aiohttp_upload.py) with `--expect-continue`: its
  route's expect handler says 100 to a request with the token, 401 instead to one without
  (then the body is never sent);
- moto's S3 server: presigned PUT and POST handed out by the `s3-presigned` target
  (`--presign`), and an S3 multipart upload signed by the client (`--multipart-part-size`).

Each run ends with 0 failures, and every acknowledged upload is on that server's disk (or in
its bucket) whole: its sha256 among the stored files'.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import os
import sys
from pathlib import Path

import pytest

from loadtests.http import Connection
from loadtests.multipart import CONTENT_TYPE, multipart
from loadtests.payload import Payload
from loadtests.presign import read_ticket
from tests.test_external_servers import acknowledged_digests, run, start, stored_digests
from upbench import registry
from upbench.lifecycle import processes
from upbench.lifecycle.ports import free_port
from upbench.lifecycle.server import ServerOptions, serve

# found, not imported: pypiserver's bottle installs an import hook that warns on later imports
if importlib.util.find_spec("pypiserver") is None or importlib.util.find_spec("aiohttp") is None:
    pytest.skip("pip install -e '.[test]'", allow_module_level=True)
AWS = {"AWS_ACCESS_KEY_ID": "upbench", "AWS_SECRET_ACCESS_KEY": "upbench",
       "AWS_DEFAULT_REGION": "us-east-1"}


def samples(out: Path) -> list[dict]:
    return [row for path in out.rglob("samples-*.csv") for row in csv.DictReader(open(path))]


def bucket_digests(endpoint: str, bucket: str) -> set[str]:
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, **{k.lower(): v for k, v in AWS.items()
                                                      if k != "AWS_DEFAULT_REGION"},
                      region_name="us-east-1")
    found = set()
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        found.add(hashlib.sha256(body).hexdigest())
    return found


def test_pypiserver_takes_package_uploads_under_package_names(tmp_path):
    packages, port = tmp_path / "packages", free_port()
    packages.mkdir()
    proc = start([sys.executable, "-m", "pypiserver", "run", "-p", str(port), "-i", "127.0.0.1",
                  "-a", ".", "-P", ".", str(packages)], port, tmp_path / "pypiserver.log")
    try:
        got = run(tmp_path, "--url", f"http://127.0.0.1:{port}/", "--field", "content",
                  "--form", ":action=file_upload", "--filename", "pkg-1.0.{n}.tar.gz",
                  "--sizes", "64KB", "--users", "2")
    finally:
        processes.stop(proc)
    [r] = got["doc"]["results"]
    assert r["failures"] == 0 and r["requests"] > 0, r["errors"]
    acked = acknowledged_digests(got["out"])
    assert acked and set(acked) <= stored_digests(packages)
    names = [p.name for p in packages.iterdir()]
    assert len(names) >= len(acked) and all(n.startswith("pkg-1.0.") for n in names)


def test_aiohttp_with_expect_continue_and_a_401_instead_of_100(tmp_path):
    files, port = tmp_path / "aiohttp", free_port()
    proc = start([sys.executable, "-m", "aiohttp.web", "-H", "127.0.0.1", "-P", str(port),
                  "tests.apps.aiohttp_upload:make_app"], port, tmp_path / "aiohttp.log",
                 env={"UPBENCH_AIOHTTP_DIR": str(files)})
    try:
        parts, length = multipart(Payload(300_000).unique(), "refused.bin")
        refused = Connection(f"http://127.0.0.1:{port}", timeout=10).request(
            "POST", "/upload", {"Content-Type": CONTENT_TYPE}, parts, length,
            expect_continue=1.0)
        got = run(tmp_path, "--url", f"http://127.0.0.1:{port}/upload", "--expect-continue",
                  "--header", "Authorization: Bearer s3cret", "--sizes", "300KB", "--users", "2")
    finally:
        processes.stop(proc)
    assert refused.status == 401 and refused.unsent == length and refused.sent is None
    [r] = got["doc"]["results"]
    assert r["failures"] == 0 and r["requests"] > 0, r["errors"]
    assert r["continue_ms"]["count"] == r["requests"] and r["continue_ms"]["p50"] < 1000
    assert r["integrity"]["verified"] == r["integrity"]["acknowledged"] > 0  # its JSON sha256
    acked = acknowledged_digests(got["out"])
    assert acked and set(acked) <= stored_digests(files)


@pytest.mark.parametrize("form", ["put", pytest.param("post", marks=pytest.mark.slow)])
def test_presigned_put_and_post_straight_to_moto(tmp_path, form):
    """The s3-presigned target hands out tickets; the bytes go to moto's S3 server, then the
    app is told. Each step is timed; the whole is the upload's latency."""
    target = registry.discover()["s3-presigned"]
    with serve(target, ServerOptions(work="none"), tmp_path / "logs") as running:
        query = "?form=post" if form == "post" else ""
        got = run(tmp_path, "--presign", f"{running.url}/presign{query}", "--sizes", "200KB",
                  "--users", "2", "--content-type", "application/x-test")
        stored = bucket_digests(running.env["UPBENCH_S3_ENDPOINT"],
                                running.env["UPBENCH_S3_BUCKET"])
    [r] = got["doc"]["results"]
    assert r["failures"] == 0 and r["requests"] > 0, r["errors"]
    for phase in ("ticket_ms", "transfer_ms", "complete_ms"):
        assert r[phase]["count"] == r["requests"]
    assert r["latency_ms"]["p50"] >= r["transfer_ms"]["p50"]
    acked = acknowledged_digests(got["out"])
    assert acked and set(acked) <= stored


@pytest.mark.slow
def test_s3_multipart_upload_to_moto(tmp_path):
    """Create, 3 parts of 5 MiB at most in parallel, complete — signed by the client with the
    AWS_* environment, against moto's own server."""
    import boto3

    port = free_port()
    proc = start([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port,
                 tmp_path / "moto.log")
    endpoint = f"http://127.0.0.1:{port}"
    env = {**os.environ, **AWS}
    try:
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="upbench", aws_secret_access_key="upbench"
                     ).create_bucket(Bucket="parts")
        got = run(tmp_path, "--url", f"{endpoint}/parts/{{name}}", "--body", "raw",
                  "--multipart-part-size", "5MiB", "--multipart-concurrency", "3",
                  "--sizes", "12MB", "--users", "2", env=env)
        stored = bucket_digests(endpoint, "parts")
    finally:
        processes.stop(proc)
    [r] = got["doc"]["results"]
    assert r["failures"] == 0 and r["requests"] > 0, r["errors"]
    assert all(row["parts"] == "3" for row in samples(got["out"]))
    assert r["ticket_ms"]["count"] and r["transfer_ms"]["count"] and r["complete_ms"]["count"]
    acked = acknowledged_digests(got["out"])
    assert acked and set(acked) <= stored


def test_a_ticket_of_another_shape_is_read_with_json_pointers():
    reply = {"data": {"upload": {"href": "https://s/k?sig=1", "verb": "put",
                                 "sign": {"Content-Type": "image/png"}}, "ref": 7},
             "links": [{"confirm": "/done/7"}]}
    ticket = read_ticket(reply, {"url": "/data/upload/href", "method": "/data/upload/verb",
                                 "headers": "/data/upload/sign", "id": "/data/ref",
                                 "complete": "/links/0/confirm"})
    assert (ticket.url, ticket.method, ticket.id) == ("https://s/k?sig=1", "PUT", "7")
    assert ticket.headers == {"Content-Type": "image/png"}
    assert ticket.complete == {"url": "/done/7"} and ticket.fields is None
    with pytest.raises(ValueError, match="no upload URL"):
        read_ticket(reply, {})
