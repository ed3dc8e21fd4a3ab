"""Aggregation from raw samples: k6's split, HDR percentiles, window, errors, integrity."""

import hashlib

import pytest

from upbench.measure import aggregate, integrity
from upbench.measure.storage import Storage


def sample(start, sent, ttfb, end, status=201, error=None, kind="upload", size=1000, done=None,
           issued=None, **extra):
    s = dict(scenario="upload", target="t", user=1, kind=kind, start=start, issued=issued,
             sent=sent, ttfb=ttfb, end=end, done=done if done is not None else end, bytes=size,
             status=status, error=error, upload_id=None, expected_sha256="a" * 64,
             server_sha256="a" * 64, final_status="stored", drops=None, recovery=None)
    s.update(extra)
    return s


def test_timing_split_follows_k6_definitions():
    # 100 uploads, 10 ms sending, 5 ms waiting, 2 ms receiving, 50 ms more until done
    samples = [sample(t, t + 0.010, t + 0.015, t + 0.017, done=t + 0.067)
               for t in (100 + i * 0.02 for i in range(100))]
    r = aggregate.summarize(samples, duration=10, warmup=0)
    assert r["sending_ms"]["p50"] == pytest.approx(10, abs=0.05)
    assert r["waiting_ms"]["p50"] == pytest.approx(5, abs=0.05)
    assert r["ttfb_ms"]["p50"] == pytest.approx(15, abs=0.05)
    assert r["latency_ms"]["p50"] == pytest.approx(17, abs=0.05)
    assert r["completion_ms"]["p50"] == pytest.approx(67, abs=0.1)
    assert r["latency_ms"]["count"] == 100


def test_percentiles_from_hdr_and_exact_max():
    values = [i / 1000 for i in range(1, 1001)]  # 1..1000 ms
    d = aggregate.distribution(values)
    assert d["p50"] == pytest.approx(500, rel=0.002)
    assert d["p99"] == pytest.approx(990, rel=0.002)
    assert d["p999"] == pytest.approx(999, rel=0.002)
    assert d["max"] == 1000.0
    assert d["mean"] == pytest.approx(500.5)


def test_window_drops_warmup_and_failures_are_counted_by_kind():
    samples = [sample(0.0, 0.1, 0.2, 5.0)]  # a slow first request, inside the warm-up
    samples += [sample(1 + i * 0.1, 1.01 + i * 0.1, 1.02 + i * 0.1, 1.03 + i * 0.1)
                for i in range(50)]
    samples += [sample(2.0, None, 2.1, 2.2, status=413, error=None),
                sample(2.5, None, None, None, status=0, error="ConnectionResetError: boom")]
    r = aggregate.summarize(samples, duration=10, warmup=1)
    assert r["requests"] == 52
    assert r["failures"] == 2
    assert r["errors"] == {"http 413": 1, "ConnectionResetError": 1}
    assert r["latency_ms"]["max"] < 100  # the warm-up outlier is not counted
    # throughput, time-weighted over 1..10 s: the 50 fast ones whole, and 4 of the 5 s of the
    # slow one that began in the warm-up
    assert r["throughput"]["rps"] == pytest.approx((50 + 4 / 5) / 9, rel=0.001)


def test_throughput_of_long_requests_is_not_stretched_by_their_tail():
    """Closed loop, 8 users on 2 workers, 1.2 s per request (4 x 300 ms): 6.67 uploads/s.
    Counting what started in a 2 s window and waiting for it to end would say ~4.2."""
    samples = [sample(u * 0.15 + k * 1.2, None, None, u * 0.15 + (k + 1) * 1.2)
               for u in range(8) for k in range(3)]
    r = aggregate.summarize(samples, duration=2.5, warmup=0.5)
    # weighted: users 0-3 busy for the whole 2 s window, users 4-7 from their start (0.6 ..
    # 1.05 s): 14.7 s of uploads, 1.2 s each, over 2 s
    assert r["throughput"]["rps"] == pytest.approx(14.7 / 1.2 / 2, rel=0.001)


def test_time_weighted_throughput_is_not_a_count():
    """8 users, 2 workers, requests of ~1.2 s in a 1.6 s window: whole completions in the
    window are the same small count in every repetition (a zero-width interval); the
    weighted rate follows the real durations and stays near the true 8 / 1.2 = 6.67/s."""
    import random

    weighted, counted = set(), set()
    for seed in range(4):
        rng, samples = random.Random(seed), [sample(0.0, None, None, 0.01)]
        for u in range(8):
            t = u * 0.05
            for _ in range(4):
                took = 1.2 * rng.uniform(0.97, 1.03)
                samples.append(sample(t, None, None, t + took))
                t += took
        r = aggregate.summarize(samples, duration=2.0, warmup=0.4)
        weighted.add(r["throughput"]["rps"])
        counted.add(sum(1 for s in samples[1:] if 0.4 < s["end"] <= 2.0))
    assert len(counted) == 1 and len(weighted) == 4
    assert all(v == pytest.approx(8 / 1.2, rel=0.05) for v in weighted), weighted


def test_open_loop_counts_late_and_dropped_starts():
    samples = [sample(t, t + 0.01, t + 0.02, t + 0.03, issued=t) for t in range(10)]
    samples.append(sample(10, 10.6, 10.7, 10.8, issued=10.5))  # issued 500 ms late
    samples.append(sample(11, None, None, None, status=0, error="dropped", issued=None))
    ol = aggregate.summarize(samples, duration=20, warmup=0)["open_loop"]
    assert ol["scheduled"] == 12 and ol["late"] == 1 and ol["dropped"] == 1


def test_integrity_counts_lost_and_corrupt_on_disk(tmp_path):
    import json

    good, bad = b"x" * 100, b"y" * 100
    rows = []
    for i, (content, on_disk) in enumerate([(good, good), (good, bad), (good, None)]):
        uid = f"{i:032x}"
        if on_disk is not None:
            (tmp_path / uid).mkdir()
            (tmp_path / uid / "f.bin").write_bytes(on_disk)
            (tmp_path / f"{uid}.json").write_text(json.dumps(
                {"id": uid, "filename": "f.bin", "status": "stored"}))
        rows.append(sample(1, 1, 1, 1, upload_id=uid, server_sha256=None, size=len(content),
                           expected_sha256=hashlib.sha256(content).hexdigest()))
    rows.append(sample(1, 1, 1, 1, status=500))  # not acknowledged: not counted
    result = integrity.check(rows, Storage(tmp_path))
    assert result == {"acknowledged": 3, "verified": 1, "lost": 1, "corrupt": 1,
                      "unfinished": 0, "disk_checked": 2}
    Storage(tmp_path).clean()
    assert list(tmp_path.iterdir()) == []


def test_spectrum_is_hdr_percentiles_up_to_the_exact_max():
    values = [i / 1000 for i in range(1, 1001)]  # 1..1000 ms
    points = aggregate.spectrum(values)
    percentiles = [p for p, _ in points]
    assert percentiles == sorted(percentiles) and percentiles[-1] == 100.0
    assert points[-1][1] == 1000.0  # the exact max, not the HDR bucket's top
    values_ms = [v for _, v in points]
    assert values_ms == sorted(values_ms)  # a distribution never falls
    # HdrHistogram's points: 4 per halving of 1 - p, up to what 1000 samples resolve (99.9 %)
    assert [50.0, 75.0, 87.5, 93.75] == [p for p in percentiles if p in (50.0, 75.0, 87.5, 93.75)]
    assert max(p for p in percentiles if p < 100) <= 99.9
    p50 = dict(map(tuple, points))[50.0]
    assert p50 == pytest.approx(aggregate.distribution(values)["p50"])
    assert aggregate.spectrum([]) is None


def test_series_buckets_completions_per_second_with_warmup_and_failures():
    # 3 s of uploads, 10/s; second 1 is slow (100 ms) and has two failures
    samples = []
    for i in range(30):
        t = 100 + i * 0.1
        slow = 1 <= t - 100 < 2
        samples.append(sample(t, t + 0.001, t + 0.002, t + (0.1 if slow else 0.01)))
    samples += [sample(101.2, None, None, 101.3, status=500),
                sample(101.5, None, None, None, status=0, error="ConnectionResetError: x")]
    r = aggregate.summarize(samples, duration=3, warmup=1)
    s = r["series"]
    assert s["t0"] == 100 and s["warmup_s"] == 1 and s["t"][:3] == [0, 1, 2]
    assert s["rps"][0] == pytest.approx(9, abs=1) and s["failed"][1] == 2
    assert s["p50_ms"][0] == pytest.approx(10, abs=0.1)
    assert s["p50_ms"][1] == pytest.approx(100, abs=0.5)
    # the last bucket is as wide as what is left of the level (2.91 s in all): no dip at the end
    assert s["rps"][2] == pytest.approx(11 / 0.91, rel=0.01) and "intended_rps" not in s


def test_series_of_an_open_loop_shows_intended_and_actual_start_rate():
    # 20/s intended for 2 s; the second second's starts all went out late, in the third second
    samples = []
    for i in range(40):
        t = 10 + i * 0.05
        issued = t if t < 11 else 12.0 + (t - 11) / 10
        samples.append(sample(t, issued + 0.01, issued + 0.02, issued + 0.03, issued=issued))
    samples.append(sample(12.95, 12.96, 12.97, 13.0, issued=12.95))  # the level ends at 3 s
    s = aggregate.summarize(samples, duration=2, warmup=0)["series"]
    assert s["intended_rps"] == [20, 20, 1]
    assert s["issued_rps"] == [20, 0, 21]
    assert s["p99_ms"][2] > 900  # latency from the intended start shows the stall
