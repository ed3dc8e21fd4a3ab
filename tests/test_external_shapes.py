"""Verify speaks to endpoints of other shapes (tests/apps/shapes.py, served by gunicorn): what
it finds out about each, what it could not, and that only failing uploads stop a run."""

from __future__ import annotations

import json

import pytest

from loadtests.request import RequestSpec
from targets.spec import Target
from tests.test_verify_and_cli import bench
from upbench.lifecycle.server import ServerOptions, serve
from upbench.run.subject import Subject
from upbench.run.verify import verify

SHAPES = Target(name="shapes", seeds=(), summary="upload endpoints of other shapes",
                app="tests.apps.shapes:app")


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    with serve(SHAPES, ServerOptions(), tmp_path_factory.mktemp("shapes")) as running:
        yield running


def check(running, path, limit=None, status_path=None, **request):
    result = verify(Subject.external(running.url + path, "shapes", RequestSpec(**request),
                                     status_path, limit))
    return result, {c["name"]: c for c in result["checks"]}


def test_204_under_another_field_name(shapes):
    result, checks = check(shapes, "/media", field="media", limit=8_000_000)
    assert result["ok"] and result["digest"] is None
    assert checks["upload 1024 B: 2xx"]["detail"].startswith("-> 204")
    assert checks["digest"]["detail"] == "unverified: the endpoint returns no digest"
    assert checks["missing field is 4xx"]["ok"] and checks["oversized body is 4xx"]["ok"]
    assert "413" in checks["oversized body is 4xx"]["detail"]
    result, _ = check(shapes, "/media")  # field `file`: every upload refused with 400
    assert not result["ok"]


def test_bearer_token_and_basic_auth(shapes):
    result, checks = check(shapes, "/bearer", headers=(("Authorization", "Bearer t0ken"),))
    assert result["ok"] and result["digest"] == "sha256" and checks["digest"]["ok"]
    result, _ = check(shapes, "/basic", username="ann", password="pa:ss w")
    assert result["ok"] and result["digest"] == "sha256"
    result, checks = check(shapes, "/basic", username="ann", password="wrong")
    assert not result["ok"] and checks["upload 1024 B: 2xx"]["detail"].startswith("-> 401")


def test_extra_form_fields(shapes):
    result, checks = check(shapes, "/album", form=(("album", "7"), ("csrf", "c5rf")))
    assert result["ok"] and result["digest"] == "bytes"
    assert "sizes are checked, contents unverified" in checks["digest"]["detail"]
    result, _ = check(shapes, "/album")
    assert not result["ok"]


def test_raw_put_with_an_md5_etag_and_with_an_etag_that_is_not_one(shapes):
    result, checks = check(shapes, "/raw/{name}", body="raw", method="PUT", limit=8_000_000)
    assert result["ok"] and result["digest"] == "etag-md5" and checks["digest"]["ok"]
    assert checks["missing field is 4xx"]["skipped"]
    assert checks["oversized body is 4xx"]["ok"]
    result, checks = check(shapes, "/raw-etag/{name}", body="raw", method="PUT")
    assert result["ok"] and result["digest"] is None
    assert "not the body's" in checks["upload 1024 B: ETag"]["detail"]


def test_202_with_a_status_url_is_followed_to_completion(shapes):
    result, checks = check(shapes, "/later", status_path="/jobs/{id}")
    assert result["ok"] and checks["upload 1024 B: completes"]["ok"]
    assert result["digest"] == "sha256"  # found in the final status
    result, checks = check(shapes, "/later", expect=(201,))
    assert not result["ok"] and checks["upload 1024 B: answers 201"]["detail"].startswith("-> 202")


@pytest.mark.slow
def test_a_run_polls_a_202_endpoint_until_done(shapes, tmp_path):
    """--status-url: completion is measured (the job answers 202 "processing" twice first)."""
    out = tmp_path / "later"
    result = bench("run", "--url", f"{shapes.url}/later", "--status-url", "/jobs/{id}",
                   "--sizes", "10KB", "--users", "2", "--duration", "1500ms", "--warmup", "0.5s",
                   "--quiet", "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    r = json.loads((out / "results.json").read_text())["results"][0]
    assert r["failures"] == 0 and r["requests"] > 0
    assert r["completion_ms"]["p50"] > r["latency_ms"]["p50"]  # done later than answered
    assert r["integrity"]["verified"] > 0  # the sha256 of the final status


@pytest.mark.slow
def test_a_run_with_a_raw_put_and_a_refused_tls_handshake(shapes, tmp_path):
    """Through the CLI: raw PUTs with their ETag checked on every upload; then https:// to a
    server that speaks plain HTTP: a clear verify failure, no traceback."""
    port = shapes.url.rsplit(":", 1)[1]
    out = tmp_path / "raw"
    result = bench("run", "--url", f"http://127.0.0.1:{port}/raw/{{name}}", "--body", "raw",
                   "--sizes", "20KB", "--users", "2", "--duration", "1500ms", "--warmup", "0.5s",
                   "--quiet", "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    r = json.loads((out / "results.json").read_text())["results"][0]
    assert r["failures"] == 0 and r["requests"] > 0
    assert r["integrity"]["verified"] == r["integrity"]["acknowledged"] > 0  # ETag = MD5
    result = bench("run", "--url", f"https://127.0.0.1:{port}/media", "--insecure",
                   "--duration", "2s", "--out", str(tmp_path / "tls"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "verify failed (upload 1024 B: 2xx -> SSLError" in result.stderr
