"""Raw samples -> the numbers of one result: k6's timing split, HDR percentiles, rates, errors.

Definitions (k6): sending = sent - start, waiting = ttfb - sent, TTFB = ttfb - start,
latency = end - start, completion = done - start. `start` is the intended start in open-loop
runs, so a stalled server shows up in every figure (coordinated omission corrected).
Percentiles come from an HDR histogram at microsecond resolution (3 significant digits);
max and mean are exact.
"""

from __future__ import annotations

from collections import Counter

from hdrh.histogram import HdrHistogram

from loadtests import failures

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p999": 99.9}
HDR_MAX_US = 3600 * 1_000_000  # one hour
LATE_S = 0.010  # an open-loop start this much behind schedule counts as late


def distribution(values_s: list[float]) -> dict | None:
    """Seconds in, milliseconds out: {p50, p90, p95, p99, p999, max, mean, count}."""
    values = [v for v in values_s if v is not None and v >= 0]
    if not values:
        return None
    hist = HdrHistogram(1, HDR_MAX_US, 3)
    for v in values:
        hist.record_value(min(max(int(v * 1e6), 1), HDR_MAX_US))
    out = {name: round(hist.get_value_at_percentile(p) / 1000, 3) for name, p in PERCENTILES.items()}
    out["max"] = round(max(values) * 1000, 3)
    out["mean"] = round(sum(values) / len(values) * 1000, 3)
    out["count"] = len(values)
    return out


def ok(sample: dict) -> bool:
    return sample["error"] is None and sample["status"] is not None and 200 <= sample["status"] < 300


def measurement_window(samples: list[dict], duration: float, warmup: float) -> list[dict]:
    """Samples that started after warm-up and before the time limit. Falls back to everything
    when a run is too short for that (one upload longer than the run)."""
    if not samples:
        return []
    t0 = min(s["start"] for s in samples)
    lo, hi = t0 + warmup, t0 + duration
    inside = [s for s in samples if lo <= s["start"] <= hi]
    return inside or samples


def busy_window(samples: list[dict], warmup: float) -> tuple[float, float] | None:
    """From the end of warm-up to the last response: when the processes were under load."""
    starts = [s["start"] for s in samples if s["start"] is not None]
    ends = [s["end"] for s in samples if s["end"] is not None]
    if not starts or not ends:
        return None
    return min(starts) + warmup, max(ends)


def error_kind(sample: dict) -> str:
    return failures.kind(sample["error"], sample["status"])


def throughput(uploads: list[dict], window: list[dict], duration: float, warmup: float) -> dict:
    """Uploads (and MB) completed per second inside the measured interval: from the warm-up's
    end — or the level's first completion, if later (a closed loop completes nothing during
    its first latency) — to the time limit. Counting what *started* in the window and waiting
    for the last of them to end would stretch the interval by one latency: with requests as
    long as a short level (a 300 ms task, 8 users on 2 workers) that under-counts by a third.
    Fewer than 3 completions inside (uploads as long as the level): started in the window /
    time until they ended."""
    if not window:
        return {"rps": 0.0, "mbps": 0.0}
    t0 = min(s["start"] for s in uploads)
    ends = [s["end"] for s in uploads if ok(s) and s["end"] is not None]
    lo, hi = max(t0 + warmup, min(ends, default=t0)), t0 + duration
    done = [s for s in uploads if ok(s) and s["end"] is not None and lo < s["end"] <= hi]
    elapsed = hi - lo
    if len(done) < 3 or elapsed <= 0:
        done = [s for s in window if ok(s)]
        w0 = min(s["start"] for s in window)
        last = max((s["end"] for s in window if s["end"] is not None), default=w0)
        elapsed = max(last, w0 + (duration - warmup)) - w0
    elapsed = max(elapsed, 1e-9)
    return {"rps": round(len(done) / elapsed, 3),
            "mbps": round(sum(s["bytes"] or 0 for s in done) / elapsed / 1e6, 3)}


def summarize(samples: list[dict], duration: float, warmup: float) -> dict:
    """The measured part of one result (no server/client/integrity blocks)."""
    uploads = [s for s in samples if s["kind"] != "bystander"]
    window = measurement_window(uploads, duration, warmup)
    good = [s for s in window if ok(s)]
    bad = [s for s in window if not ok(s)]

    def span(key_a: str, key_b: str) -> list[float]:
        return [s[key_b] - s[key_a] for s in good if s[key_a] is not None and s[key_b] is not None]

    bystanders = [s for s in samples if s["kind"] == "bystander"]
    by_window = measurement_window(bystanders, duration, warmup)
    return {
        "requests": len(window),
        "failures": len(bad),
        "errors": dict(Counter(error_kind(s) for s in bad)),
        "throughput": throughput(uploads, window, duration, warmup),
        "latency_ms": distribution(span("start", "end")),
        "ttfb_ms": distribution(span("start", "ttfb")),
        "sending_ms": distribution(span("start", "sent")),
        "waiting_ms": distribution(span("sent", "ttfb")),
        "completion_ms": distribution([s["done"] - s["start"] for s in good if s["done"]]),
        "bystander_ms": distribution([s["end"] - s["start"] for s in by_window if ok(s)]),
        "open_loop": _open_loop_stats(window),
        "resume": _resume_stats(window),
    }


def _resume_stats(window: list[dict]) -> dict | None:
    """tus uploads: connections cut, and the time from a cut to knowing where to resume."""
    tus = [s for s in window if s.get("drops") is not None]
    if not tus:
        return None
    cut = [s for s in tus if s["drops"]]
    return {"uploads": len(tus), "drops": sum(s["drops"] for s in tus), "cut_uploads": len(cut),
            "completed_after_drop": sum(1 for s in cut if ok(s)),
            "recovery_ms": distribution([s["recovery"] / s["drops"] for s in cut
                                         if s["recovery"] is not None])}


def _open_loop_stats(window: list[dict]) -> dict | None:
    scheduled = [s for s in window if s["issued"] is not None or s["error"] == "dropped"]
    if not scheduled:
        return None
    late = [s["issued"] - s["start"] for s in scheduled if s["issued"] is not None]
    return {"scheduled": len(scheduled),
            "late": sum(1 for d in late if d > LATE_S),
            "dropped": sum(1 for s in scheduled if s["error"] == "dropped"),
            "start_delay_ms": distribution(late)}
