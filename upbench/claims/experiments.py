"""The experiments the claims are judged on: each a controlled comparison under a workload
that can reveal its claims. Several claims read the same experiment.

Sizes and loads are chosen for what the servers really hold: every target runs 2 workers, so
a sync server has at most 2 uploads in flight whatever the client does, and loads beyond that
only queue. Work: `sha256` where the claim is about the upload itself; `sleep:300` (an I/O
wait, seed 003's `await asyncio.sleep`, seed 001's `time.sleep(5)` task scaled down) where it
is about a long task or awaiting I/O.
"""

from __future__ import annotations

from upbench.claims.model import Arm, Experiment

LONG_TASK = "sleep:300"

THREAD_VS_SYNC = Experiment(
    "thread-vs-sync", "sha256",
    {"sync": Arm("flask-sync", size=8_000_000), "thread": Arm("flask-thread", size=8_000_000)},
    "one user uploading 8 MB files, saved and hashed in the request (flask-sync) or in a "
    "thread after a 202 (flask-thread): the same Werkzeug parsing on both sides, so the "
    "difference is what the thread takes off the answer")

BYSTANDERS = Experiment(
    "bystanders", "sha256",
    {"idle": Arm("flask-sync", scenario="idle"),
     "sync": Arm("flask-sync", scenario="mixed", users=8),
     "thread": Arm("flask-thread", scenario="mixed", users=8),
     "slow": Arm("flask-sync", scenario="slow-mixed", size=2_000_000, users=4, duration=3.0,
                 bandwidth=1_000_000)},
    "two bystanders GET /health every 50 ms: alone (the unloaded baseline), beside 8 users "
    "uploading 1 MB to flask-sync or flask-thread, and beside 4 slow clients sending 2 MB at "
    "1 MB/s each to flask-sync (more slow clients than its 2 workers)")

def _memory_arms(name: str, role: str) -> dict[str, Arm]:
    return {f"{role}-{size // 1_000_000}MB": Arm(name, size=size, users=2, fresh=True)
            for size in (8_000_000, 32_000_000)}


MEMORY = Experiment(
    "memory-in-flight", "sha256",
    {**_memory_arms("flask-sync", "sync"), **_memory_arms("flask-thread", "thread"),
     **_memory_arms("flask-stream", "stream")},
    "two users uploading 8 MB, then 32 MB each (the 2 sync workers hold 16 and 64 MB in "
    "flight), each level on a freshly started server so that memory kept from an earlier level "
    "cannot hide growth; growth = RSS peak minus the level's own baseline, fitted against the "
    "MB in flight between the two sizes (a fixed cost per process is the intercept)")

RESUME = Experiment(
    "resume-after-drops", "sha256",
    {"tus": Arm("resumable", scenario="resumable", size=3_000_000, users=2,
                chunk_size=500_000, drop_rate=0.2, retry_delays=(0, 0.05, 0.2, 0.5))},
    "tus uploads of 3 MB in 500 KB PATCHes, 20 % of PATCHes cut mid-chunk (so most uploads are "
    "cut at least once), resumed from HEAD's Upload-Offset; the client retries like "
    "tus-js-client but with its delays (0, 1, 3, 5 s) shortened to 0, 0.05, 0.2, 0.5 s, so a "
    "short level sees enough cut uploads: the claim is about surviving, not about speed")

LONG_TASKS = Experiment(
    "long-task", LONG_TASK,
    {"sync": Arm("flask-sync"), "thread": Arm("flask-thread"), "queued": Arm("queued"),
     "background": Arm("fastapi-async"), "inline": Arm("fastapi-inline")},
    "one user uploading 1 MB files whose processing waits 300 ms (an e-mail, another "
    "service): done in the request (flask-sync, fastapi-inline) or handed to a thread, a "
    "Celery worker or BackgroundTasks")

IO_CONCURRENCY = Experiment(
    "io-concurrency", LONG_TASK,
    {"sync": Arm("flask-sync", size=64_000, users=8),
     "async": Arm("flask-async", size=64_000, users=8)},
    "8 users (4 per worker) uploading 64 KB files whose handler awaits a 300 ms I/O wait: a "
    "server that overlaps waits serves up to 8 at once, one that does not serves 2")

SURVEY = Experiment(
    "survey", "sha256", {},
    "every target once, 8 users uploading 1 MB: the summary and plots (not a verdict)")

ALL = (THREAD_VS_SYNC, BYSTANDERS, MEMORY, RESUME, LONG_TASKS, IO_CONCURRENCY)
