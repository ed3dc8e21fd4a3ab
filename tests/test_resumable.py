"""The tus 1.0 server (`resumable`): a standard client (tuspy), and the protocol's edges."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import socket

import pytest

from loadtests.http import Connection
from loadtests.upload import parse_json
from tests.helpers import wait_until
from upbench import registry
from upbench.lifecycle.server import ServerOptions, serve

TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture(scope="module")
def tus(tmp_path_factory):
    with serve(registry.discover()["resumable"], ServerOptions(max_upload=8 * 2**20),
               tmp_path_factory.mktemp("tus")) as running:
        yield running


def create(running, length, name="f.bin"):
    conn = Connection(running.url)
    meta = f"filename {base64.b64encode(name.encode()).decode()},filetype YXBwbGljYXRpb24vb2N0ZXQtc3RyZWFt"
    ex = conn.request("POST", "/files/", {**TUS, "Upload-Length": str(length),
                                          "Upload-Metadata": meta})
    conn.close()
    assert ex.status == 201, ex.body
    return ex.headers["location"].split("127.0.0.1", 1)[1].split(":", 1)[1].split("/", 1)[1]


def head_offset(running, path):
    conn = Connection(running.url)
    ex = conn.request("HEAD", "/" + path, TUS)
    conn.close()
    assert ex.status == 200
    return int(ex.headers["upload-offset"])


def patch(running, path, offset, data):
    conn = Connection(running.url)
    ex = conn.request("PATCH", "/" + path, {**TUS, "Upload-Offset": str(offset),
                                            "Content-Type": "application/offset+octet-stream"},
                      [data])
    conn.close()
    return ex


def test_a_standard_tus_client_uploads_in_chunks(tus):
    from tusclient import client

    data = os.urandom(3 * 2**20 + 17)
    uploader = client.TusClient(tus.url + "/files/").uploader(
        file_stream=io.BytesIO(data), chunk_size=2**20, metadata={"filename": "../t.bin"})
    uploader.upload()
    upload_id = uploader.url.rsplit("/", 1)[1]
    record = tus.storage.record(upload_id)
    assert record["status"] == "stored" and record["filename"] == "t.bin"
    assert record["sha256"] == hashlib.sha256(data).hexdigest()
    assert tus.storage.sha256(record) == record["sha256"]


def test_options_advertises_version_and_creation(tus):
    conn = Connection(tus.url)
    ex = conn.request("OPTIONS", "/files/")
    assert ex.status == 204
    assert ex.headers["tus-version"] == "1.0.0" and "creation" in ex.headers["tus-extension"]
    assert int(ex.headers["tus-max-size"]) == 8 * 2**20


def test_offset_mismatch_is_409_and_changes_nothing(tus):
    path = create(tus, 1000)
    assert patch(tus, path, 0, b"a" * 400).status == 204
    ex = patch(tus, path, 100, b"b" * 100)
    assert ex.status == 409 and "error" in parse_json(ex.body)
    assert head_offset(tus, path) == 400


def test_protocol_errors(tus):
    conn = Connection(tus.url)
    ex = conn.request("POST", "/files/", {"Upload-Length": "10"})  # no Tus-Resumable
    assert ex.status == 412 and ex.headers["tus-version"] == "1.0.0"
    assert conn.request("POST", "/files/", {**TUS}).status == 400  # no Upload-Length
    assert conn.request("POST", "/files/", {**TUS, "Upload-Length": str(9 * 2**20)}).status == 413
    assert conn.request("HEAD", "/files/" + "0" * 32, TUS).status == 404
    path = create(tus, 10)
    ex = conn.request("PATCH", "/" + path, {**TUS, "Upload-Offset": "0",
                                            "Content-Type": "text/plain"}, [b"x"])
    assert ex.status == 415
    assert patch(tus, path, 0, b"x" * 11).status == 413  # past Upload-Length
    assert head_offset(tus, path) == 0


def test_a_cut_patch_keeps_what_arrived_and_resumes(tus):
    data = os.urandom(600_000)
    path = create(tus, len(data))
    host, port = tus.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:  # promise it all, send a part
        sock.sendall((f"PATCH /{path} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n"
                      f"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
                      f"Content-Length: {len(data)}\r\n\r\n").encode() + data[:250_000])
    offset = wait_until(lambda: head_offset(tus, path) == 250_000 and 250_000,
                        what="the cut chunk's bytes to be kept")
    assert patch(tus, path, offset, data[offset:]).status == 204
    record = tus.storage.record(path.rsplit("/", 1)[1])
    assert record["status"] == "stored"
    assert record["sha256"] == hashlib.sha256(data).hexdigest()
