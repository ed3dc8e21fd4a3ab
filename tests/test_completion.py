"""Completion learned without disturbing the measured server (upbench/completion.py): the
harness reads the targets' own records after the level instead of polling during it."""

from __future__ import annotations

import dataclasses
import statistics
import time

from loadtests.catalog import SCENARIOS
from targets.common.store import UploadStore
from upbench import registry
from upbench.config import LoadLevel
from upbench.lifecycle.server import ServerOptions, serve
from upbench.measure import completion
from upbench.measure.storage import Storage
from upbench.progress import Progress
from upbench.run.context import RunContext
from upbench.run.level import Level, run_level
from upbench.run.subject import Subject


def sample(upload_id: str, end: float) -> dict:
    return {"kind": "upload", "status": 202, "upload_id": upload_id, "done": None,
            "error": None, "start": end - 0.01, "end": end, "server_sha256": None,
            "final_status": "accepted"}


def test_records_give_done_status_and_digest(tmp_path):
    store = UploadStore(tmp_path)
    ok, bad, slow = (store.new(n) for n in ("a.bin", "b.bin", "c.bin"))
    answered = time.time()
    store.save(ok, "processed", 3, "ab" * 32)
    store.save(bad, "failed", 3, None, error="disk full")
    store.save(slow, "accepted", 3, None)  # never finishes
    samples = [sample(ok.id, answered), sample(bad.id, answered), sample(slow.id, answered)]
    assert completion.from_records(samples, Storage(tmp_path), timeout=0.2) == 2
    first, second, third = samples
    assert first["done"] >= first["end"] and first["final_status"] == "processed"
    assert first["server_sha256"] == "ab" * 32 and first["error"] is None
    assert second["error"] == "processing failed"
    assert third["done"] is None and third["error"] == "completion timeout"


def test_a_record_stamped_before_the_answer_is_not_done_before_it(tmp_path):
    store = UploadStore(tmp_path)
    up = store.new("a.bin")
    store.save(up, "processed", 3, None)
    s = sample(up.id, time.time() + 5)  # the answer's clock read after the record's
    completion.from_records([s], Storage(tmp_path), timeout=0.1)
    assert s["done"] == s["end"]


def test_records_and_polls_give_the_same_latency_and_records_send_no_requests(tmp_path):
    """flask-thread (202) at the same open-loop load, interleaved: completion learned from the
    records, then by polling. Upload latency agrees within noise; only polling sends status
    requests; every completion from the records is at or after its answer."""
    spec = registry.discover()["flask-thread"]
    options = ServerOptions(work="sleep:20")
    p50 = {"records": [], "poll": []}
    with serve(spec, options, tmp_path / "logs") as running:
        ctx = RunContext.open(["(test)"], {}, tmp_path, "off", 1, Progress(4, 5, quiet=True))
        ours = Subject.of(running, options)
        assert ours.completion == "records"
        for i, mode in enumerate(("records", "poll", "records", "poll")):
            level = Level(SCENARIOS["upload"], 200_000, LoadLevel("open", rate=20), 2.0, 0.3,
                          "sleep:20", label=f"{mode}-{i}")
            r = run_level(ctx, dataclasses.replace(ours, completion=mode), level)
            assert r["failures"] == 0 and r["integrity"]["lost"] == 0, r["errors"]
            assert r["completion_ms"]["count"] == r["latency_ms"]["count"] > 10
            assert r["completion_ms"]["p50"] >= r["latency_ms"]["p50"]
            assert (r["observer"]["status_requests"] == 0) == (mode == "records"), r["observer"]
            p50[mode].append(r["latency_ms"]["p50"])
    ratio = statistics.mean(p50["poll"]) / statistics.mean(p50["records"])
    assert 0.33 < ratio < 3, p50  # the same within this shared machine's noise
