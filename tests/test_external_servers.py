"""`bench.py run --url` against upload servers nobody here wrote, installed from PyPI (the
`test` extra) and started for real on free ports:

- uploadserver (http.server + cgi): multipart field `files`, answers 204 with no body; here
  behind basic auth (`--basic-auth-upload`) and HTTPS with a certificate made at test time;
- WsgiDAV under gunicorn: a WebDAV share, raw PUT bodies stored as files;
- tuspyserver under uvicorn (tests/apps/tus_server.py): the resumable scenario with cut PATCHes.

Each run must end with 0 failures, and every acknowledged upload must be on that server's
disk whole (its sha256 among the stored files'), since none of them returns a digest.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import socket
import sys
from pathlib import Path

import pytest

from tests.certs import self_signed
from tests.test_verify_and_cli import REPO, bench
from upbench.lifecycle import processes
from upbench.lifecycle.ports import free_port
from upbench.lifecycle.processes import wait_for

pytestmark = pytest.mark.slow  # three third-party servers, each measured by a run

pytest.importorskip("uploadserver", reason="pip install -e '.[test]'")
pytest.importorskip("wsgidav", reason="pip install -e '.[test]'")
pytest.importorskip("tuspyserver", reason="pip install -e '.[test]'")


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def start(cmd: list[str], port: int, log: Path, env: dict | None = None):
    proc = processes.start(cmd, env={**os.environ, **(env or {})}, cwd=REPO, log=log)
    try:
        wait_for(lambda: listening(port), proc, log, cmd[2].split(".")[0])
    except BaseException:
        processes.stop(proc)
        raise
    return proc


def run(tmp_path: Path, *args: str, **kw) -> dict:
    """`bench.py run` with a short level; `kw` goes to subprocess.run (e.g. env)."""
    out = tmp_path / "report"
    result = bench("run", *args, "--duration", "2500ms", "--warmup", "0.5s", "--quiet",
                   "--out", str(out), timeout=240, **kw)
    assert result.returncode == 0, result.stderr[-3000:]
    return {"doc": json.loads((out / "results.json").read_text()), "out": out}


def acknowledged_digests(out: Path) -> list[str]:
    rows = [row for path in out.rglob("samples-*.csv") for row in csv.DictReader(open(path))]
    return [row["expected_sha256"] for row in rows if row["status"].startswith("2")]


def stored_digests(folder: Path) -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


def test_uploadserver_over_https_behind_basic_auth(tmp_path):
    """Another field name, 204 without a body, basic auth from the URL, a self-signed
    certificate trusted with --cacert — and the password nowhere in what the run wrote."""
    crt, _, pem = self_signed(tmp_path)
    files, port = tmp_path / "files", free_port()
    files.mkdir()
    proc = start([sys.executable, "-m", "uploadserver", str(port), "--bind", "127.0.0.1",
                  "--directory", str(files), "--server-certificate", str(pem),
                  "--basic-auth-upload", "ann:pa55word"], port, tmp_path / "uploadserver.log")
    try:
        got = run(tmp_path, "--url", f"https://ann:pa55word@127.0.0.1:{port}/upload",
                  "--field", "files", "--cacert", str(crt), "--sizes", "64KB", "--users", "2")
    finally:
        processes.stop(proc)
    doc = got["doc"]
    [r] = doc["results"]
    assert r["failures"] == 0 and r["requests"] > 0
    assert r["tls_handshaking_ms"]["count"] > 0  # HTTP/1.0: a new TLS connection per upload
    assert r["integrity"]["note"] == "unverified: the endpoint returns no digest"
    assert r["integrity"]["verified"] == 0
    checks = {c["name"]: c for c in doc["verify"][0]["checks"]}
    assert checks["missing field is 4xx"]["ok"] and checks["oversized body is 4xx"]["skipped"]
    acked = acknowledged_digests(got["out"])
    assert acked and set(acked) <= stored_digests(files)
    for written in got["out"].rglob("*"):
        if written.is_file() and written.suffix in (".json", ".html", ".log", ".csv"):
            assert "pa55word" not in written.read_text(errors="replace"), written


def test_wsgidav_stores_raw_put_bodies(tmp_path):
    share, port = tmp_path / "share", free_port()
    share.mkdir()
    proc = start([sys.executable, "-m", "wsgidav.server.server_cli", "--host", "127.0.0.1",
                  "--port", str(port), "--root", str(share), "--auth", "anonymous",
                  "--server", "gunicorn", "--no-config", "-q"], port, tmp_path / "wsgidav.log")
    try:
        got = run(tmp_path, "--url", f"http://127.0.0.1:{port}/{{name}}", "--body", "raw",
                  "--sizes", "200KB", "--users", "2")
    finally:
        processes.stop(proc)
    [r] = got["doc"]["results"]
    assert r["failures"] == 0 and r["requests"] > 0
    assert r["integrity"]["unverified"] == r["integrity"]["acknowledged"]  # its ETag: no MD5
    acked = acknowledged_digests(got["out"])
    assert acked and set(acked) <= stored_digests(share)


def test_tuspyserver_resumes_every_cut_upload_whole(tmp_path):
    """tuspyserver keeps a cut PATCH's bytes but holds the upload's lock (here 1 s instead of
    its 30 s): the PATCH after a cut answers 503 until then. Every upload must still end whole
    on its disk, through retries with backoff. 8 PATCHes an upload at 30 % cut: an upload goes
    uncut with 0.7**8 = 6 % (with 4 PATCHes, 24 %: a short level then saw no cut at all once)."""
    files, port = tmp_path / "tus", free_port()
    proc = start([sys.executable, "-m", "uvicorn", "tests.apps.tus_server:app", "--host",
                  "127.0.0.1", "--port", str(port), "--log-level", "warning"], port,
                 tmp_path / "tus.log", env={"UPBENCH_TUS_DIR": str(files),
                                            "UPBENCH_TUS_LOCK_TIMEOUT_S": "1"})
    try:
        got = run(tmp_path, "--url", f"http://127.0.0.1:{port}/files/", "--scenarios",
                  "resumable", "--sizes", "2MB", "--chunk-size", "250KB", "--drop-rate", "0.3",
                  "--users", "2")
    finally:
        processes.stop(proc)
    doc = got["doc"]
    [r] = doc["results"]
    assert r["failures"] == 0 and r["requests"] > 0, r["errors"]
    resume = r["resume"]
    assert resume["drops"] > 0 and resume["retries"] >= resume["drops"]
    assert resume["completed_after_drop"] > 0 and resume["recovery_ms"]["count"] > 0
    checks = {c["name"]: c for c in doc["verify"][0]["checks"]}
    assert checks["tus: HEAD offset"]["ok"]  # verify's creation carries filename + filetype
    rows = [row for path in got["out"].rglob("samples-*.csv") for row in csv.DictReader(open(path))]
    assert rows and all(row["status"] == "204" for row in rows)
    for row in rows:  # every upload whole on tuspyserver's disk, under its id
        stored = files / row["upload_id"]
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == row["expected_sha256"]
    assert any("Resuming (tus)" in line for line in doc["summary"])
