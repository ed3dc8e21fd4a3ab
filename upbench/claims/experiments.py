"""The experiments the claims are judged on: each a controlled comparison under a workload
that can reveal its claims. Several claims read the same experiment.

What each compares (README "Claims" has the table):
- the seed's code as written where a claim quotes a snippet (targets whose spec has
  `as_written`), beside the careful engineer's version where the two differ;
- the work the seed's words name: none where its code does none (seed 000's save, seed 001's
  basic and streaming uploads), an I/O wait for a long task or "sending emails" (`sleep:300`,
  seed 001's `time.sleep(5)` task and seed 003's `asyncio.sleep` scaled down), CPU work for
  "heavy processing" / "processing images" (`cpu:100`);
- the load the claim is about: open-loop arrivals below the slower arm's saturation for
  latency and blocking claims (both arms get the same offered load, whatever they answer),
  closed loop at the server's real concurrency (2 sync workers: 2 users) for throughput.
Every target runs 2 workers, so a sync server holds at most 2 uploads at once.

Cost (levels per repetition, by phase = --work): sha256 — resume-after-drops 2 (8 s; + the
survey, once: the 10 shipped targets); none — bystanders 2 (open loop: + Locust's 2 s margin),
slow-clients 2 (3 s), memory-in-flight 8 (each on a restarted server); sleep:300 — long-task 3
(open, 9 s), io-concurrency 4, the browser arms 6 (webvitals.py); cpu:100 — heavy-processing 6
(open, 10/s, 4 s). Each level is long enough for the claims' minimum sample from the first
run (a short one is run again, which costs more).
"""

from __future__ import annotations

from upbench.claims.model import Arm, Experiment

LONG_TASK = "sleep:300"
HEAVY = "cpu:100"
NO_WORK = "none"

# 1 MB uploads with no work: the 2 sync workers parse and save one in ~10-30 ms here, so
# 20 arrivals/s keeps the slower arm (sync) well below its saturation.
BYSTANDER_RATE = 20.0
# 300 ms tasks on 2 workers (or 2 Celery pool processes): capacity ~6.7/s; 4/s stays below it.
TASK_RATE = 4.0
# 100 ms of CPU on 2 workers: capacity ~20/s (less on 2 cores shared with the generator);
# 10/s stays below it and gives a level its 30 uploads in 4 s.
HEAVY_RATE = 10.0
HEAVY_S = 4.0
# At TASK_RATE a level needs ~8 s for the claims' minimum sample (30 uploads past the
# warm-up): long enough from the first level, so no level is run twice.
TASK_S = 9.0

BYSTANDERS = Experiment(
    "bystanders", NO_WORK,
    {"sync": Arm("flask-sync", scenario="mixed", rate=BYSTANDER_RATE),
     "thread": Arm("flask-thread", scenario="mixed", rate=BYSTANDER_RATE)},
    f"1 MB uploads arriving at {BYSTANDER_RATE:g}/s (open loop, the same offered load on both "
    "arms, below the sync arm's saturation) with two bystanders GET /health every 50 ms, on "
    "seed 000's save as written: in the request (flask-sync) or in a thread after a 202 "
    "(flask-thread). No work beyond the save: seed 000's code does none. Both parse the body "
    "with request.files on the same 2 gunicorn sync workers; what differs is where the save "
    "runs (and the 202 that follows from it)")

SLOW_CLIENTS = Experiment(
    "slow-clients", NO_WORK,
    {"direct": Arm("flask-sync", scenario="slow-mixed", size=2_000_000, users=4, duration=3.0,
                   bandwidth=1_000_000),
     "proxied": Arm("flask-sync-nginx", scenario="slow-mixed", size=2_000_000, users=4,
                    duration=3.0, bandwidth=1_000_000)},
    "4 slow clients sending 2 MB at 1 MB/s each (more than the 2 sync workers) beside two "
    "bystanders GET /health every 50 ms: to flask-sync directly (the worker reads the slow body "
    "inside request.files) or through nginx, which buffers the whole body first and hands it "
    "on at loopback speed: the same app and workers, only the body's reader differs")


def _memory_arms(name: str, role: str) -> dict[str, Arm]:
    return {f"{role}-{size // 1_000_000}MB": Arm(name, size=size, users=2, fresh=True)
            for size in (8_000_000, 32_000_000)}


SIZE_ONLY = ("the same server at 8 and 32 MB uploads, a fresh process each (only the size "
             "differs); ")

MEMORY = Experiment(
    "memory-in-flight", NO_WORK,
    {**_memory_arms("flask-sync", "sync"), **_memory_arms("flask-thread", "thread"),
     **_memory_arms("seed001-stream", "seed-stream"), **_memory_arms("flask-stream", "stream")},
    "two users uploading 8 MB, then 32 MB each (the 2 sync workers hold 16 and 64 MB in "
    "flight), each level on a freshly started server so that memory kept from an earlier level "
    "cannot hide growth; growth = RSS peak minus the level's own baseline, fitted against the "
    "MB in flight between the two sizes (a fixed cost per process is the intercept). No work: "
    "the seeds' snippets do none. 2 users = the 2 sync workers, closed loop: the server's real "
    "concurrency, so the 8 MB levels also give seed 000's throughput comparison")

TUS_DELAYS = (0, 0.05, 0.2, 0.5)
# A plain POST cannot make progress between cuts, so it would give up after 4 retries ~22 %
# of the time (0.74 ** 5) and its level would count as failed: it gets as many retries as
# finishing takes (up to 14: < 1 % give up), at the same last delay.
PLAIN_DELAYS = TUS_DELAYS + (0.5,) * 10


# A plain POST retried from zero finishes ~1 upload/s per 2 users: 6 users and 8 s give a
# level the claims' minimum sample (30 uploads) from the first run.
DROPS_USERS, DROPS_S = 6, 8.0


def _drops(scenario: str, delays: tuple[float, ...]) -> Arm:
    return Arm("resumable", scenario=scenario, size=3_000_000, users=DROPS_USERS,
               chunk_size=500_000, drop_rate=0.2, retry_delays=delays, duration=DROPS_S)


RESUME = Experiment(
    "resume-after-drops", "sha256",
    {"tus": _drops("resumable", TUS_DELAYS), "plain": _drops("retry-from-zero", PLAIN_DELAYS)},
    "uploads of 3 MB under the same drops — each 500 KB stretch cut mid-way with probability "
    "20 % (so most uploads are cut at least once) — to the same server: tus PATCHes resumed "
    "from HEAD's Upload-Offset, or one plain POST retried from byte zero (the control); both "
    "retry like tus-js-client but with its delays (0, 1, 3, 5 s) shortened to 0, 0.05, 0.2, "
    "0.5 s, so a short level sees enough cut uploads (the plain POST: as many retries as "
    "finishing takes, up to 14)")

LONG_TASKS = Experiment(
    "long-task", LONG_TASK,
    {"sync": Arm("flask-sync", rate=TASK_RATE, duration=TASK_S),
     "thread": Arm("flask-thread", rate=TASK_RATE, duration=TASK_S),
     "queued": Arm("queued", rate=TASK_RATE, duration=TASK_S)},
    f"1 MB uploads arriving at {TASK_RATE:g}/s (open loop, below the 2 workers' or the 2 Celery "
    "pool processes' capacity of ~6.7/s) whose processing waits 300 ms (seed 001's "
    "time.sleep(5) task scaled down; seed 004's 'sending emails'): done in the request "
    "(flask-sync), in a thread (flask-thread) or by a Celery worker (queued); the completion "
    "time is read beside the answer's")

HEAVY_PROCESSING = Experiment(
    "heavy-processing", HEAVY,
    {"background": Arm("seed002-background", rate=HEAVY_RATE, duration=HEAVY_S),
     "inline": Arm("seed002-inline", rate=HEAVY_RATE, duration=HEAVY_S),
     "background-shipped": Arm("fastapi-async", rate=HEAVY_RATE, duration=HEAVY_S),
     "inline-shipped": Arm("fastapi-inline", rate=HEAVY_RATE, duration=HEAVY_S),
     "sync": Arm("flask-sync", rate=HEAVY_RATE, duration=HEAVY_S),
     "thread": Arm("flask-thread", rate=HEAVY_RATE, duration=HEAVY_S)},
    f"1 MB uploads arriving at {HEAVY_RATE:g}/s (open loop) whose processing burns 100 ms of "
    "CPU (seed 002's 'heavy processing', seed 004's 'processing images'): seed 002's snippets "
    "as written (`await file.read()`, then heavy_processing in BackgroundTasks or inline), "
    "as shipped (fastapi-async / fastapi-inline: persisted first, the task gets a path) and "
    "seed 004's (the task in a thread or in the request)")

IO_CONCURRENCY = Experiment(
    "io-concurrency", LONG_TASK,
    {"sync": Arm("flask-sync", size=64_000, users=8),
     "async": Arm("flask-async", size=64_000, users=8),
     "sync-app-run": Arm("flask-sync-app-run", size=64_000, users=8),
     "async-app-run": Arm("flask-async-app-run", size=64_000, users=8)},
    "8 users uploading 64 KB files whose handler waits 300 ms (seed 003's sleep, scaled), on "
    "gunicorn sync workers (2 processes, 4 users each) and on app.run() — Werkzeug's threaded "
    "server, as seed 003 runs it: a server that overlaps waits serves up to 8 at once, one "
    "that does not serves one per worker")

SURVEY = Experiment(
    "survey", "sha256", {},
    "every target once, 8 users uploading 1 MB: the summary and plots (not a verdict)")

ALL = (BYSTANDERS, SLOW_CLIENTS, MEMORY, RESUME, LONG_TASKS, HEAVY_PROCESSING,
       IO_CONCURRENCY)
