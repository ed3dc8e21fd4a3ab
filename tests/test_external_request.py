"""Anyone's endpoint, the cheap parts: parsing curl's flags, masking secrets, the bytes of the
request, what an answer proves (integrity), the phases of a new connection (aggregate)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from loadtests import request as req
from loadtests.http import Exchange
from loadtests.multipart import BOUNDARY
from loadtests.payload import Payload
from loadtests.request import RequestSpec
from loadtests.upload import UploadRequest, evidence
from upbench.measure import aggregate, integrity


class Recorder:
    """Stands in for a Connection: keeps what would have been sent."""

    def request(self, method, path, headers=None, body=(), length=None, **_):
        self.sent = (method, path, dict(headers or {}), b"".join(bytes(p) for p in body), length)
        return Exchange(start=0.0, status=204)


@pytest.mark.parametrize("parse, text", [
    (req.parse_header, "no colon"), (req.parse_header, "Bad Name: x"), (req.parse_header, "X: a\r\nY: b"),
    (req.parse_header, "Content-Length: 5"), (req.parse_form, "novalue"), (req.parse_form, "=v"),
    (req.parse_expect, "200,404"), (req.parse_expect, "2xx")])
def test_malformed_values_are_refused(parse, text):
    with pytest.raises(ValueError):
        parse(text)


def test_credentials_come_out_of_the_url_like_curl():
    url, user, password = req.split_credentials("https://ann:pa%3Ass%20w@host:8443/up?x=1")
    assert (url, user, password) == ("https://host:8443/up?x=1", "ann", "pa:ss w")
    header = RequestSpec(username=user, password=password).request_headers()["Authorization"]
    assert base64.b64decode(header.split()[1]) == b"ann:pa:ss w"
    assert req.split_credentials("http://h/x") == ("http://h/x", None, None)


def test_secrets_are_masked_wherever_they_are_written():
    argv = ["run", "--url", "https://ann:pw@h/up?X-Amz-Signature=abc&part=2",
            "--header", "Authorization: Bearer s3cret", "--header=X-Trace: 7",
            "--form", "csrf=tok", "--form", "album=7"]
    masked = " ".join(req.mask_argv(argv))
    assert "pw" not in masked and "s3cret" not in masked and "abc" not in masked
    assert "tok" not in masked and "album=7" in masked and "X-Trace: 7" in masked
    assert req.mask_url("https://h/up?sig=abc&a=b") == "https://h/up?sig=***&a=b"
    spec = RequestSpec(headers=(("Cookie", "c=1"), ("Accept", "*/*")), username="ann",
                       password="pw", form=(("csrf_token", "t"),))
    public = str(spec.public())
    assert "c=1" not in public and "pw" not in public and "'t'" not in public
    assert "*/*" in public and "ann" in public
    assert RequestSpec.from_json(spec.to_json()) == spec


def test_multipart_with_another_field_extra_fields_and_headers():
    spec = RequestSpec(field="media", form=(("album", "7"), ("csrf", "c5rf")),
                       headers=(("Authorization", "Bearer t"),))
    conn, body = Recorder(), Payload(1000).unique()
    UploadRequest("/upload", spec).send(conn, body, "a.bin")
    method, path, headers, sent, length = conn.sent
    assert (method, path, length) == ("POST", "/upload", len(sent))
    assert headers["Authorization"] == "Bearer t" and BOUNDARY in headers["Content-Type"]
    assert sent.index(b'name="album"\r\n\r\n7\r\n') < sent.index(b'name="csrf"') < \
        sent.index(b'name="media"; filename="a.bin"')


def test_raw_put_sends_the_bytes_alone_under_a_name_of_its_own():
    spec = RequestSpec(body="raw", method="PUT", headers=(("content-type", "image/png"),))
    conn, body = Recorder(), Payload(3000).unique()
    UploadRequest("/dav/{name}?v=1", spec).send(conn, body, "u 1.bin")
    method, path, headers, sent, length = conn.sent
    assert (method, path) == ("PUT", "/dav/u%201.bin?v=1")
    assert headers == {"content-type": "image/png"}  # the user's Content-Type wins
    assert hashlib.sha256(sent).hexdigest() == body.sha256 and length == 3000
    UploadRequest("/fixed", RequestSpec(body="raw", method="PUT")).send(conn, body, "x")
    assert conn.sent[1] == "/fixed" and conn.sent[2]["Content-Type"] == "application/octet-stream"


def test_expect_narrows_success():
    assert RequestSpec().success(204) and not RequestSpec().success(302)
    assert RequestSpec(expect=(201,)).success(201) and not RequestSpec(expect=(201,)).success(200)


def test_evidence_reads_json_digests_and_md5_looking_etags():
    ex = Exchange(start=0.0, head=b'HTTP/1.1 201 Created\r\nETag: "' + b"a" * 32 + b'"\r\nX: 1')
    assert evidence(ex, {})["server_md5"] == "a" * 32
    weak = Exchange(start=0.0, head=b'HTTP/1.1 201 Created\r\nEtag: W/"' + b"a" * 32 + b'"')
    assert evidence(weak, {})["server_md5"] is None
    found = evidence(Exchange(start=0.0), {"sha256": "b" * 64, "bytes": 5})
    assert found == {"server_sha256": "b" * 64, "server_bytes": 5, "server_md5": None}
    assert evidence(Exchange(start=0.0), {"sha256": "nope", "bytes": True})["server_bytes"] is None


def sample(**kw):
    base = dict(kind="upload", status=201, bytes=10, upload_id=None, expected_sha256="e" * 64,
                server_sha256=None, server_md5=None, expected_md5=None, server_bytes=None)
    return {**base, **kw}


def test_integrity_says_unverified_unless_a_digest_proves_it():
    samples = [sample(), sample(server_bytes=10), sample(server_sha256="e" * 64),
               sample(server_sha256="f" * 64), sample(server_md5="1" * 32, expected_md5="1" * 32),
               sample(server_md5="2" * 32, expected_md5="3" * 32), sample(server_bytes=9)]
    trusting = integrity.check(samples, None, etag_md5=True)
    assert (trusting["verified"], trusting["corrupt"]) == (2, 3)
    doubting = integrity.check(samples, None, etag_md5=False)  # ETag not known to be an MD5
    assert (doubting["verified"], doubting["corrupt"], doubting["unverified"]) == (2, 2, 2)
    assert doubting["note"] == "unverified: the endpoint returns no digest"
    sized = integrity.check([sample(server_bytes=10)], None)
    assert sized["verified"] == 0 and sized["size_only"] == 1 and "contents" in sized["note"]


def test_new_connections_have_their_own_phases():
    rows = [dict(kind="upload", start=0.0, sent=0.050, ttfb=0.080, end=0.090, done=0.090,
                 bytes=1, status=201, error=None, issued=None, connecting=0.010,
                 tls_handshaking=0.030),
            dict(kind="upload", start=1.0, sent=1.010, ttfb=1.040, end=1.050, done=1.050,
                 bytes=1, status=201, error=None, issued=None, connecting=None,
                 tls_handshaking=None)]
    r = aggregate.summarize(rows, 2.0, 0.0)
    assert r["connecting_ms"]["count"] == 1 and r["connecting_ms"]["max"] == pytest.approx(10)
    assert r["tls_handshaking_ms"]["max"] == pytest.approx(30)
    assert r["sending_ms"]["max"] == pytest.approx(10, abs=0.01)  # 50 - 10 - 30, and 10
    assert r["ttfb_ms"]["max"] == pytest.approx(80, abs=0.01)  # TTFB still from the start
