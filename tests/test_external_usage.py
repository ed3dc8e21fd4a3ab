"""Bad descriptions of anyone's endpoint: one line and exit 2 at the argparse boundary (or the
plan), never a traceback; an endpoint nobody answers at is a clear verify failure."""

from __future__ import annotations

import json

import pytest

from tests.test_verify_and_cli import bench
from upbench.lifecycle.ports import free_port

URL = "http://127.0.0.1:9/upload"


@pytest.mark.parametrize("args, message", [
    (["--url", "127.0.0.1:8000/upload"], "expected an http:// or https:// URL"),
    (["--url", "http://:80/x"], "expected an http:// or https:// URL"),
    (["--url", URL, "--header", "NoColon"], "expected 'Name: value', got 'NoColon'"),
    (["--url", URL, "--header", "Bad Name: x"], "expected 'Name: value'"),
    (["--url", URL, "--form", "novalue"], "expected key=value"),
    (["--url", URL, "--method", "GET"], "invalid choice: 'GET'"),
    (["--url", URL, "--body", "json"], "invalid choice: 'json'"),
    (["--url", URL, "--body", "raw", "--field", "f"], "not with --body raw"),
    (["--url", "http://h/dav/{name}"], "add --body raw"),
    (["--url", URL, "--header", "Content-Type: text/plain"], "sets Content-Type itself"),
    (["--url", "http://a:b@h/x", "--header", "Authorization: Bearer x"], "exclude each other"),
    (["--url", URL, "--scenarios", "resumable", "--body", "raw"], "speaks tus"),
    (["--url", URL, "--expect", "404"], "expected 2xx status codes"),
    (["--url", URL, "--cacert", "/nonexistent.pem"], "cannot use '/nonexistent.pem'"),
    (["--url", URL, "--status-url", "/jobs"], "needs {id}"),
    (["--url", URL, "--status-url", "http://other:1/jobs/{id}"], "own scheme, host and port"),
    (["--url", URL, "--retry-delays", "soon"], "expected seconds"),
    (["--field", "files"], "--field only applies to --url"),
    (["--header", "X-A: 1", "--insecure"], "--header, --insecure only apply to --url"),
])
def test_bad_endpoint_descriptions_are_one_line_and_exit_2(args, message):
    result = bench("run", *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_endpoint_nobody_answers_is_a_clear_verify_failure(tmp_path):
    url = f"http://ann:secret@127.0.0.1:{free_port()}/upload"
    result = bench("run", "--url", url, "--duration", "2s", "--out", str(tmp_path))
    assert result.returncode == 1, result.stderr
    assert "verify failed (upload 1024 B: 2xx -> " in result.stderr
    assert "ConnectionRefusedError" in result.stderr
    assert "Traceback" not in result.stderr and "secret" not in result.stderr
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["results"] == [] and not doc["verify"][0]["ok"]
    assert "secret" not in (tmp_path / "results.json").read_text()
    assert "secret" not in (tmp_path / "index.html").read_text()
