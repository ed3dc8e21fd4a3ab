"""The scenarios, one Locust user class each (names listed in loadtests/catalog.py).

Every upload is recorded raw to the samples file (when --samples-dir is set) and reported to
Locust's own stats, so the web UI and `locust -f` show the same requests.
"""

from __future__ import annotations

import time

import gevent
from locust import User, constant, events, task

from loadtests.http import Connection
from loadtests.payload import Payload
from loadtests.samples import SampleWriter
from loadtests.upload import parse_json, post_upload

FINAL = {"stored", "processed", "failed"}
POLL_GRACE_S = 30.0
_writer: SampleWriter | None = None
pending: set = set()  # completion pollers still running


@events.init_command_line_parser.add_listener
def _options(parser):
    group = parser  # Locust's web-UI flags (include_in_web_ui) exist on the parser only
    group.add_argument("--upload-size", env_var="UPBENCH_SIZE", default="1MB",
                       help="Size of each upload, e.g. 64KB, 1MB, 32MiB")
    group.add_argument("--upload-path", env_var="UPBENCH_UPLOAD_PATH", default="/upload",
                       help="Path of the upload endpoint on --host")
    group.add_argument("--status-path", env_var="UPBENCH_STATUS_PATH", default="/uploads/{id}",
                       help="Status endpoint for 202 answers ('' = don't poll)")
    group.add_argument("--bandwidth", env_var="UPBENCH_BANDWIDTH", default="1MB",
                       help="Per-user upload bandwidth of the slow scenario (bytes/s)")
    group.add_argument("--target-name", env_var="UPBENCH_TARGET", default="",
                       help="Target name written into the samples", include_in_web_ui=False)
    group.add_argument("--samples-dir", env_var="UPBENCH_SAMPLES_DIR", default="",
                       help="Folder for raw per-request samples ('' = none)",
                       include_in_web_ui=False)
    group.add_argument("--poll-timeout", env_var="UPBENCH_POLL_TIMEOUT", default="60",
                       help="Seconds to wait for a 202 upload to complete", include_in_web_ui=False)


@events.test_start.add_listener
def _open_samples(environment, **_):
    global _writer
    folder = environment.parsed_options.samples_dir
    if folder and _writer is None:
        _writer = SampleWriter(folder)


@events.test_stop.add_listener
@events.quitting.add_listener
def _flush_samples(**_):
    # Uploads acknowledged with 202 are still being polled: give them their time, bounded.
    gevent.joinall(list(pending), timeout=POLL_GRACE_S)
    for greenlet in list(pending):
        greenlet.kill(block=False)
    if _writer is not None:
        _writer.flush()


def _poll_until_final(host: str, path: str, sample: dict, timeout: float) -> None:
    conn = Connection(host)
    deadline = time.monotonic() + timeout
    delay = 0.005
    try:
        while time.monotonic() < deadline:
            ex = conn.request("GET", path)
            reply = parse_json(ex.body) if ex.status == 200 else {}
            if reply.get("status") in FINAL:
                # The server's own timestamp is exact (same clock); the poll's end bounds it.
                finished = reply.get("updated")
                sample["done"] = finished if isinstance(finished, float) and \
                    sample["start"] <= finished <= ex.end else ex.end
                sample["final_status"] = reply["status"]
                sample["server_sha256"] = reply.get("sha256") or sample["server_sha256"]
                if reply["status"] == "failed":
                    sample["error"] = "processing failed"
                break
            gevent.sleep(delay)
            delay = min(delay * 2, 0.1)
        else:
            sample["error"] = "completion timeout"
    except gevent.GreenletExit:
        sample["error"] = "completion pending at stop"
    finally:
        conn.close()
        pending.discard(gevent.getcurrent())
        _record(sample)


def _size(text: str) -> int:
    from upbench.units import parse_size  # pure function module: no orchestration imported
    return parse_size(text)


class UploadUser(User):
    """Closed loop: each user uploads, waits for the answer, uploads again."""

    scenario = "upload"
    wait_time = constant(0)
    bandwidth: float | None = None
    _ids = iter(range(1, 1 << 62))

    def on_start(self):
        opts = self.environment.parsed_options
        self.user_id = next(UploadUser._ids)
        self.payload = Payload.shared(_size(opts.upload_size))
        self.path = opts.upload_path
        self.status_path = opts.status_path
        self.target_name = opts.target_name
        self.poll_timeout = float(opts.poll_timeout)
        self.conn = Connection(self.host)
        self.seq = 0

    def on_stop(self):
        self.conn.close()

    @task
    def upload(self):
        self.seq += 1
        body = self.payload.unique()
        ex, reply = post_upload(self.conn, self.path, body,
                                f"u{self.user_id}-{self.seq}.bin", bandwidth=self.bandwidth)
        ok = 200 <= ex.status < 300
        sample = dict(scenario=self.scenario, target=self.target_name, user=self.user_id,
                      kind="upload", start=ex.start, sent=ex.sent, ttfb=ex.ttfb, end=ex.end,
                      bytes=body.size, status=ex.status, error=ex.error or _http_error(ex.status),
                      upload_id=reply.get("id"), expected_sha256=body.sha256,
                      server_sha256=reply.get("sha256"), final_status=reply.get("status"))
        self._report("POST", f"{self.path} [{self.payload.size}B]", ex, body.size)
        if ok and ex.status == 202 and reply.get("id") and self.status_path:
            self._await_completion(sample)
        else:
            if ok:
                sample["done"] = ex.end
            _record(sample)

    def _await_completion(self, sample: dict) -> None:
        """Poll the status endpoint until the upload is final, in a greenlet of its own so the
        user goes on uploading: polling must not lower the offered load."""
        path = self.status_path.format(id=sample["upload_id"])
        pending.add(gevent.spawn(_poll_until_final, self.host, path, sample, self.poll_timeout))

    def _report(self, method: str, name: str, ex, size: int) -> None:
        elapsed = ((ex.end or time.time()) - ex.start) * 1000
        error = ex.error or _http_error(ex.status)
        self.environment.events.request.fire(
            request_type=method, name=name, response_time=elapsed, response_length=size,
            exception=RuntimeError(error) if error else None, context={})


class SlowUploadUser(UploadUser):
    """Uploads paced to --bandwidth bytes/s per user: a slow client holding a worker."""

    scenario = "slow"

    def on_start(self):
        super().on_start()
        self.bandwidth = _size(self.environment.parsed_options.bandwidth)


class BystanderUser(User):
    """GET /health in a loop beside the uploads: the latency everyone else sees."""

    scenario = "mixed"
    fixed_count = 2
    wait_time = constant(0.05)

    def on_start(self):
        self.conn = Connection(self.host)
        self.target_name = self.environment.parsed_options.target_name

    def on_stop(self):
        self.conn.close()

    @task
    def health(self):
        ex = self.conn.request("GET", "/health")
        error = ex.error or _http_error(ex.status)
        _record(dict(scenario="mixed", target=self.target_name, user=0, kind="bystander",
                     start=ex.start, sent=ex.sent, ttfb=ex.ttfb, end=ex.end, done=ex.end,
                     bytes=0, status=ex.status, error=error))
        self.environment.events.request.fire(
            request_type="GET", name="/health (bystander)",
            response_time=((ex.end or time.time()) - ex.start) * 1000, response_length=0,
            exception=RuntimeError(error) if error else None, context={})


def _record(sample: dict) -> None:
    if _writer is not None:
        _writer.add(**sample)


def _http_error(status: int) -> str | None:
    return None if 200 <= status < 300 else (f"http {status}" if status else "no response")
