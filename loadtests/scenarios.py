"""The scenarios, one Locust user class each (names listed in loadtests/catalog.py).

Every upload is recorded raw to the samples file (when --samples-dir is set) and reported to
Locust's own stats, so the web UI and plain `locust -f` show the same requests.

Load models: closed loop by default (each user uploads, waits for the answer, uploads again).
A closed-loop user runs its loop in an OS thread of its own, on blocking sockets, in slices of
SLICE_S; its greenlet waits for the slice and then reports the slice's uploads (Locust's stats
and the sample file stay on the hub's thread; a 202 is handed over at once, for its completion
poll). Why: on a machine the server shares, the generator's CPU is taken from the server, and
with 1 MiB uploads to a gunicorn sink this costs ~310-500 us of CPU per upload against
~400-600 us through gevent's sockets and hub (wrk: ~200 us). The GIL is released in every
send, receive and connect; the bytes on the wire are the same.
With `--user-rate R` each user is instead an open-loop scheduler: it starts R uploads per
second on a fixed timetable, whatever the server does, each in a greenlet of its own, and
dates them from the *intended* start (wrk2's correction of coordinated omission). A start more
than 10 ms behind the timetable is late; beyond `--max-inflight` uploads a start is dropped.

A failed request (an error status, a protocol error, a refused connection) makes a closed-loop
user or a bystander wait before its next one (loadtests/failures.py `Backoff`: 0.05 s doubling
to 2 s, reset by a success), in Locust's wait between tasks: the wait is in no request's
timing, and a stop ends it at once. Open-loop users keep their timetable (their rate already
bounds the failures).
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections import Counter
from dataclasses import replace
from typing import NamedTuple

import gevent
import gevent.pool
from gevent.event import Event
from gevent.monkey import get_original
from locust import User, events, task
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner
from locust.user.users import LOCUST_STATE_STOPPING

from loadtests import failures, relay
from loadtests.catalog import BYSTANDERS, SCENARIOS
from loadtests.failures import Backoff
from loadtests.http import Connection, Exchange, is_2xx
from loadtests.multipart import multipart
from loadtests.payload import Body, FilePayload, Payload
from loadtests.request import (
    TUS_RETRY_DELAYS,
    RequestSpec,
    parse_content_type,
    parse_delays,
    parse_file,
    parse_filename,
)
from loadtests.samples import SampleWriter
from loadtests.tus import TUS, TusOptions, TusUpload
from loadtests.units import parse_size
from loadtests.upload import UploadRequest, evidence, final_state, parse_json

GRACE_S = 60.0          # at stop: time for uploads in flight and completion polls to end
SLICE_S = 2.0           # closed loop: OS-thread time per Locust task (bounds a stop's wait)
MAX_OS_THREADS = 256    # closed-loop users beyond this many run on greenlets
_writer: SampleWriter | relay.SampleSender | None = None
_collector: relay.SampleCollector | None = None  # the master's, when Locust runs distributed
pending: set = set()    # greenlets that must finish (or be recorded as cut) before exit
slices: set = set()     # Events of the OS-thread slices still running
_start_thread = get_original("_thread", "start_new_thread")
completed = {"count": 0}  # 202 uploads seen final (shown in the web UI tab)
failed_kinds: Counter = Counter()  # error kinds of failed uploads (the web UI tab's warning)
_TOKEN = os.urandom(4).hex()  # in file names: unique across load levels and Locust processes
_DIGITS = str(int.from_bytes(os.urandom(3), "big"))  # {n}'s prefix: the same, in digits


@events.init_command_line_parser.add_listener
def _options(parser):
    add = parser.add_argument
    add("--upload-size", env_var="UPBENCH_SIZE", default="1MB",
        help="Size of each upload, e.g. 64KB, 1MB, 32MiB")
    add("--upload-path", env_var="UPBENCH_UPLOAD_PATH", default="",
        help="Upload endpoint on --host (tus: the creation endpoint); '' = the scenario's "
             "own: /upload, /files/ for tus")
    add("--status-path", env_var="UPBENCH_STATUS_PATH", default="/uploads/{id}",
        help="Status endpoint polled after a 202 ('' = don't poll)")
    add("--user-rate", env_var="UPBENCH_USER_RATE", default="0",
        help="Open loop: uploads/s started by each user (0 = closed loop)")
    add("--schedule-for", env_var="UPBENCH_SCHEDULE_FOR", default="0",
        help="Open loop: seconds of timetable per user, then it stops (0 = until the run ends)")
    add("--max-inflight", env_var="UPBENCH_MAX_INFLIGHT", default="500",
        help="Open loop: uploads in flight per user before a start is dropped")
    add("--bandwidth", env_var="UPBENCH_BANDWIDTH", default="1MB",
        help="Per-user upload bandwidth of the slow scenario (bytes/s)")
    add("--chunk-size", env_var="UPBENCH_CHUNK_SIZE", default="5MB",
        help="Resumable scenario: tus PATCH size")
    add("--drop-rate", env_var="UPBENCH_DROP_RATE", default="0.2",
        help="Resumable scenario: fraction of PATCHes cut mid-chunk")
    add("--retry-delays", env_var="UPBENCH_RETRY_DELAYS",
        default=",".join(f"{d:g}" for d in TUS_RETRY_DELAYS),
        help="Resumable scenario: seconds to wait before each retry (tus-js-client's)")
    add("--upload-file", env_var="UPBENCH_FILE", default="",
        help="Real files to upload instead of random bytes, comma-separated paths (in turn; "
             "the size is theirs)")
    add("--content-type", env_var="UPBENCH_CONTENT_TYPE", default="",
        help="Content-Type of the file part (or raw body); '' = application/octet-stream")
    add("--filename", env_var="UPBENCH_FILENAME", default="",
        help="File name per upload: {n} (unique number), {uuid}, {name} (the file's own); "
             "'' = the file's own name, or a unique u...bin")
    add("--request", env_var="UPBENCH_REQUEST", default="{}", include_in_web_ui=False,
        help="The upload request as JSON (loadtests/request.py: field, form, headers, "
             "method, body, expect, TLS); bench.py passes it in the environment")
    add("--target-name", env_var="UPBENCH_TARGET", default="", include_in_web_ui=False,
        help="Target name written into the samples")
    add("--samples-dir", env_var="UPBENCH_SAMPLES_DIR", default="", include_in_web_ui=False,
        help="Folder for raw per-request samples ('' = none)")
    add("--farewell", action="store_true", default=False, include_in_web_ui=False,
        help="The plan's last, empty level: its workers exit (bench.py worker)")
    add("--poll-timeout", env_var="UPBENCH_POLL_TIMEOUT", default="60", include_in_web_ui=False,
        help="Seconds to wait for a 202 upload to complete")
    add("--completion", env_var="UPBENCH_COMPLETION", default="poll", include_in_web_ui=False,
        choices=("poll", "records"),
        help="How a 202 upload's completion is learned: poll = GET --status-path until final; "
             "records = not here (the harness reads the server's records after the level, so "
             "no request of ours reaches the measured server meanwhile)")


@events.init.add_listener
def _bystander_count(environment, **_):
    """The chosen scenario says how many bystanders run (Locust's dispatcher reads
    `fixed_count` when the run starts, after this)."""
    chosen = SCENARIOS.get(getattr(environment.parsed_options, "scenario", None) or "")
    if chosen is not None and chosen.bystanders:
        BystanderUser.fixed_count = chosen.bystanders


@events.init.add_listener
def _relay(environment, **_):
    """Distributed (--processes N, `bench.py worker`): workers stream their samples to the
    master, which writes them (loadtests/relay.py)."""
    global _collector
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        _collector = relay.SampleCollector(runner)
    elif isinstance(runner, WorkerRunner):
        relay.answer_pings(runner)
        relay.hear_master(environment)


@events.test_start.add_listener
def _open_samples(environment, **_):
    global _writer
    folder = environment.parsed_options.samples_dir
    runner = environment.runner
    if isinstance(runner, MasterRunner):  # it runs no users: its workers send the samples
        _collector.start(folder)
    elif environment.parsed_options.worker:  # (its runner may not be set yet: relay.py)
        environment.process_exit_code = relay.exit_code_after(environment.parsed_options)
        if folder:
            _writer = relay.SampleSender(environment)
    elif folder and _writer is None:
        _writer = SampleWriter(folder)


@events.test_start.add_listener
def _reset_counts(**_):
    failed_kinds.clear()  # Locust clears its stats at a new swarm: the tab counts alike
    completed["count"] = 0


@events.test_stop.add_listener
@events.quitting.add_listener
def _finish(environment, **_):
    if isinstance(environment.runner, MasterRunner):
        _collector.wait_for_workers(environment.stop_timeout + 10)
        _collector.save()
        return
    gevent.wait(list(slices), timeout=GRACE_S)  # first: their last reports may start polls
    deadline = time.monotonic() + GRACE_S
    # an upload that ends meanwhile starts its completion poll: wait for that one too
    while (alive := [g for g in pending if not g.dead]) and time.monotonic() < deadline:
        gevent.joinall(alive, timeout=deadline - time.monotonic())
    gevent.killall(list(pending), block=True, timeout=5)
    if isinstance(_writer, relay.SampleSender):
        _writer.done()
    elif _writer is not None:
        _writer.flush()


class Attempt(NamedTuple):
    """One upload as measured, before it is reported."""
    body: Body
    issued: float
    ex: Exchange
    reply: dict
    extra: dict


def _record(sample: dict) -> None:
    if _writer is not None:
        _writer.add(sample)


def _http_error(status: int, spec: RequestSpec | None = None) -> str | None:
    """Any 2xx is success, unless --expect narrows it."""
    if spec.success(status) if spec else is_2xx(status):
        return None
    return f"http {status}" if status else "no response"


_requests: dict[tuple, RequestSpec] = {}


def request_spec(text: str, opts=None) -> RequestSpec:
    """The --request JSON, parsed once per process; the form's file, type and name fields
    (`opts`: the web UI's, or plain locust's flags), when given, over it."""
    shape = (getattr(opts, "upload_file", ""), getattr(opts, "content_type", ""),
             getattr(opts, "filename", ""))
    if (text, shape) not in _requests:
        spec = RequestSpec.from_json(text)
        files, content_type, template = shape
        if files:
            spec = replace(spec, files=tuple(parse_file(f.strip()) for f in files.split(",")
                                             if f.strip()))
        if content_type:
            spec = replace(spec, content_type=parse_content_type(content_type))
        if template:
            spec = replace(spec, filename=parse_filename(template))
        _requests[(text, shape)] = spec
    return _requests[(text, shape)]


def _spawn(fn, *args) -> None:
    greenlet = gevent.spawn(fn, *args)
    pending.add(greenlet)
    greenlet.link(pending.discard)


class UploadUser(User):
    """One multipart POST per upload, closed or open loop."""

    scenario = "upload"
    bandwidth: float | None = None
    _ids = iter(range(1, 1 << 62))
    threaded_users = 0

    def on_start(self):
        opts = self.environment.parsed_options
        if not opts.upload_path:  # this user's own copy: classes of other scenarios may run too
            opts = argparse.Namespace(**{**vars(opts),
                                         "upload_path": SCENARIOS[self.scenario].upload_path})
        self.opts = opts
        self.user_id = next(UploadUser._ids)
        self.request = request_spec(opts.request, opts)
        self.payload = FilePayload.shared(self.request.files) if self.request.files \
            else Payload.shared(parse_size(opts.upload_size))
        self.tls = self.request.tls_context() if self.host.startswith("https:") else None
        self.count = 0   # uploads of this user: unique file names
        self.rate = float(opts.user_rate or 0)
        self.idle: list[Connection] = []   # keep-alive connections not in use
        self.inflight = 0
        self.seq = 0
        self.t0 = time.time()
        self.backoff = Backoff()
        # S3 parts go up in parallel greenlets: such a user stays on the hub
        self.os_thread = not self.rate and UploadUser.threaded_users < MAX_OS_THREADS and \
            self.request.transfer != "s3-multipart"
        UploadUser.threaded_users += self.os_thread
        self.uploader = UploadRequest(opts.upload_path, self.request, connect=self.connection,
                                      parallel=_greenlets_map)

    def on_stop(self):
        UploadUser.threaded_users -= self.os_thread
        for conn in self.idle:
            conn.close()
        self.uploader.close()

    def wait_time(self) -> float:
        """Locust's wait between two tasks: none after a success, the backoff after a failure."""
        return self.backoff.pause

    def connection(self, origin: str | None = None) -> Connection:
        """To the host; `origin`: another one (storage, for a direct-to-storage upload)."""
        if origin is None or origin == self.host:
            return Connection(self.host, os_thread=self.os_thread, tls=self.tls)
        tls = self.request.tls_context() if origin.startswith("https:") else None
        return Connection(origin, os_thread=self.os_thread, tls=tls)

    @task
    def next_upload(self):
        if self.os_thread:
            self.closed_loop_slice()
            return
        if not self.rate:
            self.upload(start=None)
            return
        intended = self.t0 + self.seq / self.rate
        horizon = float(self.opts.schedule_for or 0)
        if horizon and intended >= self.t0 + horizon:
            raise StopUser()  # the timetable is done: rate x duration starts, not fewer
        self.seq += 1
        if intended > time.time():
            gevent.sleep(intended - time.time())
        if self.inflight >= int(self.opts.max_inflight):
            _record(dict(scenario=self.scenario, target=self.opts.target_name, user=self.user_id,
                         kind=self.kind, start=intended, bytes=self.payload.size, status=0,
                         error="dropped"))
            return
        self.inflight += 1
        _spawn(self.upload, intended)

    def closed_loop_slice(self) -> None:
        """Uploads back to back for SLICE_S in an OS thread; this greenlet waits for the end.
        The thread stops early when Locust stops the user (gracefully: after the upload in
        flight) or kills this greenlet. Uploads are reported in one batch at the end (a
        cross-thread wake-up of the hub per upload showed in ~15 % of the GIL-holding
        samples), except those a completion poll must follow, which go to the hub at once.
        A failed upload ends the slice: the greenlet then backs off (see `wait_time`)."""
        hub = gevent.get_hub().loop
        done, halt, failure, batch, failed = Event(), [], [], [], []

        def run():
            until = time.monotonic() + SLICE_S
            succeeded = False
            try:
                while not halt and self._state != LOCUST_STATE_STOPPING and \
                        time.monotonic() < until:
                    attempt = self.exchange(None)
                    if self.polls(attempt.ex, attempt.reply):
                        hub.run_callback_threadsafe(self.report, attempt, None)
                    else:
                        batch.append(attempt)
                    ex = attempt.ex
                    if ex.error or _http_error(ex.status, self.expects):
                        failed.append(succeeded)
                        break
                    succeeded = True
            except BaseException as exc:  # a bug, not a failed upload: raise it in the task
                failure.append(exc)
            finally:
                hub.run_callback_threadsafe(finish)

        def finish():  # on the hub, after every report the thread handed over before
            for attempt in batch:
                self.report(attempt, None)
            done.set()

        slices.add(done)
        done.rawlink(slices.discard)
        _start_thread(run, ())
        try:
            done.wait()
        finally:
            halt.append(True)
        if failure:
            raise failure[0]
        if not failed or failed[0]:  # a success since the last failure resets the backoff
            self.backoff.success()
        if failed:
            self.backoff.failure()

    def upload(self, start: float | None) -> None:
        """One upload on this greenlet; `start` is the intended start in open loop."""
        try:
            attempt = self.exchange(start)
        finally:
            if start is not None:
                self.inflight -= 1
        ok = self.report(attempt, start)
        if start is None:
            self.backoff.record(ok)

    def exchange(self, start: float | None) -> Attempt:
        """One upload, measured. Runs in a closed-loop user's OS thread too: nothing of gevent
        or Locust in here."""
        conn = self.idle.pop() if self.idle else self.connection()
        body = self.payload.unique()
        issued = time.time()
        try:
            ex, reply, extra = self.transfer(conn, body, start)
        finally:
            self.idle.append(conn)
        return Attempt(body, issued, ex, reply, extra)

    def report(self, attempt: Attempt, start: float | None) -> bool:
        """Record one upload, tell Locust, and follow a 202 until it is final. True when the
        upload succeeded (so far: the completion poll may still find it failed)."""
        body, issued, ex, reply, extra = attempt
        error = ex.error or _http_error(ex.status, self.expects)
        found = {**evidence(ex, reply), **extra}
        sample = dict(scenario=self.scenario, target=self.opts.target_name, user=self.user_id,
                      kind=self.kind, start=ex.start, issued=issued if start else None,
                      sent=ex.sent, ttfb=ex.ttfb, end=ex.end, bytes=body.size, status=ex.status,
                      error=error, upload_id=_text(reply.get("id")),
                      expected_sha256=body.sha256, final_status=_text(reply.get("status")),
                      connecting=ex.connecting, tls_handshaking=ex.tls_handshaking,
                      continue_wait=ex.continue_wait, unsent=ex.unsent, **found)
        if found["server_md5"]:
            sample["expected_md5"] = self.payload.md5(body)
        self.environment.events.request.fire(
            request_type=self.request_type,
            name=f"{self.opts.upload_path.split('?')[0]} [{body.size}B]",
            response_time=((ex.end or time.time()) - ex.start) * 1000, response_length=body.size,
            exception=RuntimeError(error) if error else None, context={})
        if error is not None:
            failed_kinds[failures.kind(error, ex.status)] += 1
            _record(sample)
            return False
        if self.polls(ex, reply):
            _spawn(_poll_until_final, Connection(self.host, tls=self.tls),
                   self.opts.status_path.replace("{id}", str(reply["id"])),
                   self.request.request_headers(), sample, float(self.opts.poll_timeout))
            return True
        # 202 with --completion records: done is learned from the server's record afterwards
        sample["done"] = None if self.awaits_record(ex, reply) else ex.end
        _record(sample)
        return True

    request_type = "POST"
    poll_always = False
    kind = "upload"  # the samples' kind (integrity checks only "upload")

    @property
    def expects(self) -> RequestSpec:
        return self.request

    def polls(self, ex: Exchange, reply: dict) -> bool:
        """Does a completion poll follow this upload? (202: accepted, the work goes on)"""
        return bool(reply.get("id") and self.opts.status_path and not ex.error and
                    (ex.status == 202 or self.poll_always) and self.opts.completion == "poll")

    def awaits_record(self, ex: Exchange, reply: dict) -> bool:
        """An upload the harness completes from the server's records instead (no poll)."""
        return bool(reply.get("id") and not ex.error and
                    (ex.status == 202 or self.poll_always) and self.opts.completion == "records")

    def filename(self, body: Body | None = None) -> str:
        """upbench's unique name, or what --file/--filename make of it ({n}: unique too)."""
        self.count += 1
        default = f"u{self.user_id}-{self.count}-{_TOKEN}.bin"
        if body is None:
            return default
        return self.uploader.file_name(default, body,
                                       f"{_DIGITS}{self.user_id:03d}{self.count:06d}")

    def transfer(self, conn: Connection, body: Body, start) -> tuple[Exchange, dict, dict]:
        return self.uploader.upload(conn, body, self.filename(body), bandwidth=self.bandwidth,
                                    start=start)


class SlowUploadUser(UploadUser):
    """Uploads paced to --bandwidth bytes/s per user: a slow client holding a worker."""

    scenario = "slow"

    def on_start(self):
        super().on_start()
        self.bandwidth = parse_size(self.opts.bandwidth)


class TusUploadUser(UploadUser):
    """tus 1.0 (loadtests/tus.py): create with metadata, PATCH chunks, a fraction of them cut
    mid-chunk, retried with tus-js-client's backoff and resumed from HEAD's Upload-Offset.
    Works with any tus 1.0 server: --upload-path is the creation endpoint."""

    scenario = "resumable"
    request_type = "TUS"
    poll_always = True  # the final PATCH answers 204 without a record: ask for the digest
    expects = None      # success is the whole body at the server (the last PATCH's 204)

    def on_start(self):
        super().on_start()
        self.tus = TusOptions(self.opts.upload_path, {**TUS, **self.request.request_headers()},
                              parse_size(self.opts.chunk_size), float(self.opts.drop_rate),
                              parse_delays(self.opts.retry_delays))

    def transfer(self, conn, body, start):
        return TusUpload(conn, self.tus, body).run(self.filename(), start)


class RetryUploadUser(UploadUser):
    """The control of the resumable scenario: one plain multipart POST per upload under the
    same drops — the body taken as --chunk-size stretches, each cut mid-stretch with
    probability --drop-rate — and after a cut the whole upload again from byte zero, after the
    same --retry-delays. Counted like tus: drops, retries, bytes sent twice, time to resume."""

    scenario = "retry-from-zero"

    def on_start(self):
        super().on_start()
        self.chunk = parse_size(self.opts.chunk_size)
        self.drop_rate = float(self.opts.drop_rate)
        self.delays = parse_delays(self.opts.retry_delays)

    def transfer(self, conn, body, start):
        name = self.filename()
        parts, length = multipart(body, name, self.request.field, fields=self.uploader.fields)
        first = time.time() if start is None else start
        drops = sent = 0
        recovery, failed_at = 0.0, None
        for attempt in range(len(self.delays) + 1):
            cut = self._cut_at(body.size)
            if cut is None:
                ex, reply = self.uploader.send(conn, body, name)
                sent += body.size
                if failed_at is not None:
                    recovery = ex.start - failed_at
                ex.start = first
                return ex, reply, {"drops": drops, "retries": attempt, "resumes": int(drops > 0),
                                   "resent": max(0, sent - body.size), "recovery": recovery}
            conn.abandon("POST", self.uploader.path, self.uploader.headers, parts, length,
                         cut_at=cut)
            drops += 1
            sent += cut
            failed_at = failed_at or time.time()
            if attempt < len(self.delays):
                conn.sleep(self.delays[attempt])
        ex = Exchange(start=first, sent=None, ttfb=None, end=time.time(), status=0,
                      error=f"gave up after {len(self.delays)} retries")
        return ex, {}, {"drops": drops, "retries": len(self.delays), "resumes": 0,
                        "resent": sent, "recovery": None}

    def _cut_at(self, size: int) -> int | None:
        """Where the first stretch that draws a drop is cut (mid-stretch), or None."""
        for offset in range(0, size, self.chunk):
            if random.random() < self.drop_rate:
                return offset + min(self.chunk, size - offset) // 2
        return None


class _AnyRefusal:
    """The oversize scenario's success: the client read a 4xx (the status, not a reset)."""

    @staticmethod
    def success(status: int) -> bool:
        return 400 <= status < 500


class OversizeUser(UploadUser):
    """Bodies over the target's limit (--max-upload), sent the way curl and browsers do: in
    pieces, stopping when an answer arrives. A sample says how long the rejection took, how
    much of the body went out before it (`unsent`: what stayed here) and whether the client
    read the status or got a reset (an error)."""

    scenario = "oversize"
    kind = "oversize"
    expects = _AnyRefusal()

    def polls(self, ex: Exchange, reply: dict) -> bool:
        return False

    def transfer(self, conn, body, start):
        if self.request.transfer != "direct":  # the app refuses the ticket: nothing is sent
            return self.uploader.upload(conn, body, self.filename(body), start=start)
        ex, reply = self.uploader.send(conn, body, self.filename(body), start=start, watch=True)
        return ex, reply, {}


class BystanderUser(User):
    """GET /health in a loop beside the uploads: the latency everyone else sees."""

    scenario = "mixed"  # unless --scenario names another one with bystanders (idle, slow-mixed)
    fixed_count = BYSTANDERS
    interval = 0.05  # seconds between two probes
    request_type = "GET"  # the uploads' are POST and TUS: the web UI tab tells them apart

    def on_start(self):
        self.conn = Connection(self.host)
        opts = self.environment.parsed_options
        self.target_name = opts.target_name
        chosen = SCENARIOS.get(getattr(opts, "scenario", None) or "")
        if chosen is not None and chosen.bystanders:  # samples carry their real scenario
            self.scenario = chosen.name
        self.backoff = Backoff()

    def on_stop(self):
        self.conn.close()

    def wait_time(self) -> float:
        """Every `interval`; after a failed probe, the backoff if longer."""
        return max(self.interval, self.backoff.pause)

    @task
    def health(self):
        ex = self.conn.request("GET", "/health")
        error = ex.error or _http_error(ex.status)
        _record(dict(scenario=self.scenario, target=self.target_name, user=0, kind="bystander",
                     start=ex.start, sent=ex.sent, ttfb=ex.ttfb, end=ex.end, done=ex.end,
                     bytes=0, status=ex.status, error=error))
        self.backoff.record(error is None)
        self.environment.events.request.fire(
            request_type=self.request_type, name="/health (bystander)",
            response_time=((ex.end or time.time()) - ex.start) * 1000, response_length=0,
            exception=RuntimeError(error) if error else None, context={})


def _poll_until_final(conn: Connection, path: str, headers: dict, sample: dict,
                      timeout: float) -> None:
    """Poll the status endpoint until the upload is final, in a greenlet of its own so the
    user goes on uploading: polling must not lower the offered load."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    sample["polls"] = 0  # the observer's load on the server: reported per level
    try:
        while time.monotonic() < deadline:
            ex = conn.request("GET", path, headers)
            sample["polls"] += 1
            reply = parse_json(ex.body)
            state = final_state(ex.status, reply)
            if state:
                # The server's own timestamp is exact (same clock); the poll's end bounds it.
                finished = reply.get("updated")
                sample["done"] = finished if isinstance(finished, float) and \
                    sample["start"] <= finished <= ex.end else ex.end
                sample["final_status"] = _text(reply.get("status")) or state
                completed["count"] += 1
                found = evidence(ex, reply)
                sample["server_sha256"] = found["server_sha256"] or sample["server_sha256"]
                if state == "failed":
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
        _record(sample)


def _greenlets_map(fn, items, n: int) -> list:
    """`parallel` for S3 parts: n greenlets at a time, results in order."""
    return list(gevent.pool.Pool(max(1, n)).imap(fn, items))


def _text(value) -> str | None:
    return None if value is None else str(value)
