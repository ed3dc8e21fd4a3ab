"""The HTTP contract (docs/contracts.md), and the bad-input matrix, against every target for real."""

from __future__ import annotations

import json
import socket

import pytest

from loadtests.http import Connection
from loadtests.multipart import BOUNDARY, CONTENT_TYPE, multipart
from loadtests.payload import Payload
from loadtests.upload import parse_json, post_upload
from tests.helpers import SMALL_LIMIT, stored_ids, wait_until

FINAL = ("stored", "processed")


def upload(running, size=10_000, filename="a.bin"):
    conn = Connection(running.url)
    body = Payload(size).unique()
    ex, reply = post_upload(conn, "/upload", body, filename)
    conn.close()
    return ex, reply, body


def final_record(running, upload_id):
    conn = Connection(running.url)
    try:
        def done():
            ex = conn.request("GET", f"/uploads/{upload_id}")
            record = parse_json(ex.body)
            return record if record.get("status") in FINAL + ("failed",) else None
        return wait_until(done, what=f"upload {upload_id} to complete")
    finally:
        conn.close()


def raw(running, method, path, headers=None, body=b""):
    conn = Connection(running.url)
    ex = conn.request(method, path, headers or {}, [body] if body else [])
    conn.close()
    return ex, parse_json(ex.body)


def assert_healthy(running):
    ex, reply = raw(running, "GET", "/health")
    assert ex.status == 200


def inside_data_dir(running) -> list:
    root = running.data_dir.resolve()
    return [p for p in root.rglob("*") if root not in p.resolve().parents and p.resolve() != root]


def test_good_upload_is_stored_with_its_sha256(target):
    ex, reply, body = upload(target, 700_000, "photo.jpg")
    assert ex.status in (201, 202), ex.body
    assert reply["status"] == ("stored" if ex.status == 201 else "accepted")
    assert reply["bytes"] == body.size and reply["filename"] == "photo.jpg"
    record = final_record(target, reply["id"])
    assert record["sha256"] == body.sha256
    assert target.storage.sha256(target.storage.record(reply["id"])) == body.sha256


def test_status_endpoint_and_unknown_id(target):
    ex, reply, body = upload(target)
    record = final_record(target, reply["id"])
    assert {"id", "status", "bytes", "sha256"} <= record.keys()
    for unknown in ("0" * 32, "nope", "..%2F..%2Fetc"):
        ex, reply = raw(target, "GET", f"/uploads/{unknown}")
        if target.target.front and ".." in unknown:  # the proxy refuses it before the app
            assert ex.status == 400
            continue
        assert ex.status == 404 and "error" in reply


def multipart_body(field="file", filename="x.bin", content=b"hello"):
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + content + f"\r\n--{BOUNDARY}--\r\n".encode()


BAD_REQUESTS = {
    "missing field": ({"Content-Type": CONTENT_TYPE}, multipart_body(field="other")),
    "empty filename": ({"Content-Type": CONTENT_TYPE}, multipart_body(filename="")),
    "not multipart": ({"Content-Type": "application/json"}, b'{"file": "x"}'),
    "no boundary": ({"Content-Type": "multipart/form-data"}, multipart_body()),
    "wrong boundary": ({"Content-Type": "multipart/form-data; boundary=zzz"}, multipart_body()),
    "truncated body": ({"Content-Type": CONTENT_TYPE}, multipart_body()[:-20]),
    "garbage": ({"Content-Type": CONTENT_TYPE}, b"\x00\xff" * 500),
    "no body": ({"Content-Type": CONTENT_TYPE}, b""),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_bad_input_is_400_and_stores_nothing(target, case):
    headers, body = BAD_REQUESTS[case]
    before = stored_ids(target.data_dir)
    ex, reply = raw(target, "POST", "/upload", headers, body)
    assert ex.status == 400, (case, ex.status, ex.body)
    assert reply.get("error"), ex.body
    assert stored_ids(target.data_dir) == before
    assert_healthy(target)


def test_over_the_limit_is_413_and_stores_nothing(target):
    before = stored_ids(target.data_dir)
    ex, reply, _ = upload(target, SMALL_LIMIT + 1)
    assert ex.status == 413, ex.body
    assert "error" in reply
    assert stored_ids(target.data_dir) == before
    assert_healthy(target)


@pytest.mark.parametrize("name", ["../../x.bin", "/tmp/x.bin", "..\\..\\x.bin", "....//x.bin",
                                  "a/../../../etc/passwd", "..", "."])
def test_traversal_names_are_sanitised(target, name):
    ex, reply, body = upload(target, 100, name)
    assert ex.status in (201, 202), ex.body
    assert "/" not in reply["filename"] and "\\" not in reply["filename"]
    assert reply["filename"] not in ("", ".", "..")
    final_record(target, reply["id"])
    assert inside_data_dir(target) == []
    assert target.storage.size(target.storage.record(reply["id"])) == 100


def test_client_hanging_up_leaves_nothing_stored(target):
    before = stored_ids(target.data_dir)
    promised = SMALL_LIMIT - 1000
    head = multipart_body(content=b"")[: -len(f"\r\n--{BOUNDARY}--\r\n")]
    with socket.create_connection(("127.0.0.1", int(target.url.rsplit(":", 1)[1]))) as sock:
        sock.sendall((f"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: {CONTENT_TYPE}\r\n"
                      f"Content-Length: {promised}\r\n\r\n").encode() + head + b"z" * 50_000)
    # the server notices the hang-up on its next read; whatever it did must not count as stored
    assert_healthy(target)

    def settled():
        records = [json.loads((target.data_dir / f"{i}.json").read_text())
                   for i in stored_ids(target.data_dir) - before]
        return all(r["status"] in ("failed",) for r in records)
    wait_until(settled, what="no new record claiming a half upload is stored")
    wait_until(lambda: not [d for d in target.data_dir.iterdir()
                            if d.is_dir() and d.name not in before], timeout=15,
               what="partial upload folder removed")


def test_413_reaches_a_client_still_sending(target):
    """The bad-input probe: 1.5x the limit, multipart, written in 64 KB pieces the way a
    browser or http.client does, the answer read only after the last byte. The server must
    let the client finish (read and discard, a lingering close) so the 413 and its JSON reason
    arrive, not a broken pipe or a reset — every time (three in a row)."""
    body = Payload(SMALL_LIMIT * 3 // 2).unique()
    parts, length = multipart(body, "big.bin")
    data = b"".join(bytes(p) for p in parts)
    head = (f"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: {CONTENT_TYPE}\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", int(target.url.rsplit(":", 1)[1])),
                                      timeout=30) as sock:
            sock.sendall(head)
            for offset in range(0, length, 64 * 1024):
                sock.sendall(data[offset:offset + 64 * 1024])
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b'"error"' in answer.partition(b"\r\n\r\n")[2], answer


def test_chunked_body_is_stored(target):
    """`Transfer-Encoding: chunked` (streaming clients, proxies): every target streams it."""
    body = Payload(300_000).unique()
    parts, length = multipart(body, "chunked.bin")
    conn = Connection(target.url)
    ex = conn.request("POST", "/upload", {"Content-Type": CONTENT_TYPE}, parts, length,
                      chunked=64 * 1024)
    conn.close()
    assert ex.status in (201, 202), ex.body
    assert final_record(target, parse_json(ex.body)["id"])["sha256"] == body.sha256


def test_expect_continue_gets_100_or_an_early_413(target):
    """Every target's server says 100 Continue to an upload it takes; over the limit the
    answer is a 413 (uvicorn: instead of the 100, the body never sent)."""
    conn = Connection(target.url)
    body = Payload(50_000).unique()
    parts, length = multipart(body, "c.bin")
    ex = conn.request("POST", "/upload", {"Content-Type": CONTENT_TYPE}, parts, length,
                      expect_continue=1.0)
    assert ex.status in (201, 202) and ex.continue_wait < 1.0 and ex.unsent is None, ex.body
    parts, length = multipart(Payload(SMALL_LIMIT + 1).unique(), "big.bin")
    ex = conn.request("POST", "/upload", {"Content-Type": CONTENT_TYPE}, parts, length,
                      expect_continue=1.0)
    conn.close()
    assert ex.status == 413 and ex.error is None, (ex.status, ex.error)
    if target.target.server == "uvicorn":
        assert ex.unsent == length and ex.sent is None


def test_page_offers_a_form_and_a_fetch_upload(target):
    conn = Connection(target.url)
    ex = conn.request("GET", "/page")
    conn.close()
    assert ex.status == 200 and b"text/html" in ex.head.lower()
    page = ex.body.decode()
    for part in ('<form id="form" method="post" action="/upload?answer=html" '
                 'enctype="multipart/form-data">', 'type="file"', 'id="fetch"', "fetch(\"/upload\""):
        assert part in page, part


def test_form_upload_lands_on_a_page_and_json_stays_the_default(target):
    conn = Connection(target.url)
    body = Payload(5_000).unique()
    ex, reply = post_upload(conn, "/upload?answer=html", body, "form.bin")
    conn.close()
    assert ex.status in (201, 202) and b"text/html" in ex.head.lower(), ex.head
    assert b'id="answer"' in ex.body and b"form.bin" in ex.body and b"5000 bytes" in ex.body
    ex, reply, _ = upload(target, 5_000)
    assert ex.status in (201, 202) and reply["bytes"] == 5_000  # no flag: JSON as before
    headers, bad = BAD_REQUESTS["missing field"]
    ex, _ = raw(target, "POST", "/upload?answer=html", headers, bad)
    assert ex.status == 400 and b"Upload failed (400)" in ex.body
