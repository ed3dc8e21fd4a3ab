"""The upload shapes at the CLI boundary (flags -> RequestSpec, usage errors in one line) and
the pieces the load generator builds from them (file names, real files' bodies, chunked
framing), without servers. The shapes against real servers: test_external_uploads.py,
test_contract.py (chunked, 100-continue, the 413 a client still sending reads)."""

from __future__ import annotations

import hashlib

import pytest

from loadtests.http import chunk_body
from loadtests.payload import FilePayload
from loadtests.request import RequestSpec
from loadtests.upload import UploadRequest
from upbench.cli import build_parser
from upbench.errors import UsageError
from upbench.plans import config_from_args


def plan(*argv: str):
    return config_from_args(build_parser().parse_args(["run", *argv]))


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "cat.jpg"
    path.write_bytes(b"\xff\xd8" + bytes(range(256)) * 40)
    return path


def test_files_types_and_names_reach_the_request(photo):
    config = plan("--url", "http://127.0.0.1:9/up", "--file", str(photo), "--content-type",
                  "image/jpeg", "--filename", "{uuid}-{name}", "--expect-continue",
                  "--chunked", "16KB")
    spec = config.request
    assert spec.files == (str(photo),) and spec.content_type == "image/jpeg"
    assert spec.expect_continue and spec.chunked == 16_000 and spec.filename == "{uuid}-{name}"
    assert [st.sizes for st in config.stages] == [(photo.stat().st_size,)]
    assert RequestSpec.from_json(spec.to_json()) == spec
    assert plan("--url", "http://127.0.0.1:9/up", "--chunked").request.chunked == 64 * 1024


def test_a_file_is_the_body_and_its_name_fills_the_template(photo):
    payload = FilePayload((str(photo),))
    body = payload.unique()
    data = photo.read_bytes()
    assert body.sha256 == hashlib.sha256(data).hexdigest() and body.name == "cat.jpg"
    assert payload.md5(body) == hashlib.md5(data).hexdigest()
    named = UploadRequest("/u", RequestSpec(filename="pkg-1.0.{n}.tar.gz"))
    assert named.file_name("u1-1.bin", body, "42") == "pkg-1.0.42.tar.gz"
    assert UploadRequest("/u", RequestSpec()).file_name("u1-1.bin", body) == "cat.jpg"
    own = UploadRequest("/u", RequestSpec(filename="{name}-{uuid}"))
    first, second = own.file_name("d", body), own.file_name("d", body)
    assert first.startswith("cat.jpg-") and first != second


def test_chunked_framing_is_exact():
    parts, length = chunk_body([b"abcde", memoryview(b"fgh")], 4)
    wire = b"".join(bytes(p) for p in parts)
    assert wire == b"4\r\nabcd\r\n1\r\ne\r\n3\r\nfgh\r\n0\r\n\r\n" and length == len(wire)


@pytest.mark.parametrize("argv, reason", [
    (["--file", "/nonexistent/x"], "not a readable file"),
    (["--url", "http://h/u", "--filename", "a/{n}"], "expected a file name"),
    (["--url", "http://h/u", "--content-type", "jpeg"], "expected a media type"),
    (["--url", "http://h/{name}", "--body", "raw", "--content-type", "image/png", "--header",
      "Content-Type: x/y"], "exclude each other"),
    (["--file", "FILE"], "only appl"),
    (["--url", "http://h/u", "--file", "FILE", "--sizes", "1MB"], "--file sets the size"),
    (["--url", "http://h/u", "--presign", "http://h/p"], "exclude each other"),
    (["--presign", "http://h/p", "--body", "raw"], "the ticket says how"),
    (["--url", "http://h/u", "--presign-map", "url=/a"], "give --presign"),
    (["--presign", "http://h/p", "--presign-map", "bogus=/a"], "KEY one of"),
    (["--url", "http://h/b/{name}", "--body", "raw", "--multipart-part-size", "1MB"],
     "at least 5MiB"),
    (["--url", "http://h/{name}", "--body", "raw", "--multipart-part-size", "8MB"],
     "/BUCKET/KEY"),
    (["--url", "http://h/b/k", "--multipart-part-size", "8MB"], "--body raw"),
    (["--url", "http://h/b/k", "--multipart-concurrency", "2"], "goes with"),
    (["--scenarios", "oversize", "--max-upload", "4MB", "--sizes", "2MB"], "above --max-upload"),
    (["--url", "http://h/u", "--scenarios", "oversize"], "needs the endpoint's limit"),
])
def test_shapes_that_cannot_describe_one_upload_are_usage_errors(argv, reason, photo):
    argv = [str(photo) if a == "FILE" else a for a in argv]
    with pytest.raises(UsageError, match=reason):
        plan(*argv)


def test_the_oversize_scenario_plans_bodies_over_the_limit():
    config = plan("--targets", "flask-sync", "--scenarios", "oversize,upload")
    assert config.max_upload == 1_000_000
    sizes = {st.scenario: st.sizes for st in config.stages}
    assert sizes["oversize"] == (1_500_000, 8_000_000) and sizes["upload"] == (1_000_000,)


def test_the_oversize_scenario_reads_every_413(tmp_path):
    """A short oversize level against one target: every body over the limit gets its 413 to
    the client (none a reset), with the time to it and what was sent before it."""
    import json

    from tests.test_verify_and_cli import bench

    out = tmp_path / "oversize"
    result = bench("run", "--targets", "fastapi-async", "--scenarios", "oversize", "--users", "1",
                   "--sizes", "3MB", "--duration", "1500ms", "--warmup", "0.3s", "--quiet",
                   "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    results = json.loads((out / "results.json").read_text())["results"]
    assert [r["size_bytes"] for r in results] == [3_000_000]
    for r in results:
        rejection = r["rejection"]
        assert r["failures"] == 0 and rejection["reset"] == 0, r["errors"]
        assert rejection["status_seen"] == rejection["uploads"] == r["requests"] > 0
        assert rejection["statuses"] == {"413": rejection["uploads"]}
        assert 0 < rejection["sent_before_mb"]["max"] <= r["size_bytes"] / 1e6 + 0.001
        assert rejection["time_to_rejection_ms"]["count"] == rejection["uploads"]


def test_the_summary_says_whether_refusals_reached_the_client():
    from upbench.reporting.findings import _rejections

    def level(target, seen, reset, p50):
        return {"target": target, "size_bytes": 1_500_000, "rejection": {
            "uploads": seen + reset, "status_seen": seen, "reset": reset,
            "time_to_rejection_ms": {"p50": p50} if seen else None}}

    doc = {"results": [level("a", 10, 0, 5.0), level("b", 8, 0, 40.0)]}
    assert _rejections(doc) == ("Over the limit (oversize): the client read the refusal in 18 "
                                "of 18 uploads, at every target; slowest to refuse: b (p50 40 "
                                "ms at 1500KB).")
    doc["results"].append(level("c", 0, 4, 0))
    assert "a reset instead at c" in _rejections(doc)
    assert _rejections({"results": []}) == ""
