"""Raw samples -> the numbers of one result: k6's timing split, HDR percentiles, rates, errors.

Definitions (k6): on a new connection, connecting (TCP) and tls_handshaking come first and are
their own phases; sending = sent - start - connecting - tls_handshaking, waiting = ttfb - sent,
TTFB = ttfb - start (= connecting + tls_handshaking + sending + waiting), latency = end - start,
completion = done - start. So TTFB and latency mean the same over http and https, from the
moment the upload began, and the cost of a new connection shows as its own phases instead of
hiding in "sending". `start` is the intended start in open-loop
runs, so a stalled server shows up in every figure (coordinated omission corrected).
Percentiles come from an HDR histogram at microsecond resolution (3 significant digits);
max and mean are exact.
"""

from __future__ import annotations

from collections import Counter

from hdrh.histogram import HdrHistogram

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
    err = sample["error"] or f"http {sample['status']}"
    return err.split(":")[0].strip()


def summarize(samples: list[dict], duration: float, warmup: float) -> dict:
    """The measured part of one result (no server/client/integrity blocks)."""
    uploads = [s for s in samples if s["kind"] != "bystander"]
    window = measurement_window(uploads, duration, warmup)
    good = [s for s in window if ok(s)]
    bad = [s for s in window if not ok(s)]

    def span(key_a: str, key_b: str) -> list[float]:
        return [s[key_b] - s[key_a] for s in good if s[key_a] is not None and s[key_b] is not None]

    def phase(key: str) -> list[float]:
        return [s[key] for s in good if s.get(key) is not None]

    sending = [s["sent"] - s["start"] - (s.get("connecting") or 0.0)
               - (s.get("tls_handshaking") or 0.0) for s in good if s["sent"] is not None]

    elapsed = 0.0
    if window:
        w0 = min(s["start"] for s in window)
        ends = [s["end"] for s in window if s["end"] is not None]
        elapsed = max(max(ends, default=w0), w0 + (duration - warmup)) - w0
        elapsed = max(elapsed, 1e-9)
    good_bytes = sum(s["bytes"] or 0 for s in good)
    bystanders = [s for s in samples if s["kind"] == "bystander"]
    by_window = measurement_window(bystanders, duration, warmup)
    return {
        "requests": len(window),
        "failures": len(bad),
        "errors": dict(Counter(error_kind(s) for s in bad)),
        "throughput": {"rps": round(len(good) / elapsed, 3) if window else 0.0,
                       "mbps": round(good_bytes / elapsed / 1e6, 3) if window else 0.0},
        "latency_ms": distribution(span("start", "end")),
        "ttfb_ms": distribution(span("start", "ttfb")),
        "sending_ms": distribution(sending),
        "connecting_ms": distribution(phase("connecting")),
        "tls_handshaking_ms": distribution(phase("tls_handshaking")),
        "waiting_ms": distribution(span("sent", "ttfb")),
        "completion_ms": distribution([s["done"] - s["start"] for s in good if s["done"]]),
        "bystander_ms": distribution([s["end"] - s["start"] for s in by_window if ok(s)]),
        "open_loop": _open_loop_stats(window),
        "resume": _resume_stats(window),
    }


def _resume_stats(window: list[dict]) -> dict | None:
    """tus uploads: connections cut, retries, bytes sent twice, and the time to resume (from
    a failure to the start of the next PATCH the server took), per failure recovered."""
    tus = [s for s in window if s.get("drops") is not None]
    if not tus:
        return None
    cut = [s for s in tus if s["drops"]]
    recovered = [s for s in tus if s.get("resumes") or (s["drops"] and s.get("resumes") is None)]
    return {"uploads": len(tus), "drops": sum(s["drops"] for s in tus),
            "completed_after_drop": sum(1 for s in cut if ok(s)),
            "retries": sum(s.get("retries") or 0 for s in tus),
            "resumes": sum(s.get("resumes") or 0 for s in tus),
            "bytes_resent": sum(s.get("resent") or 0 for s in tus),
            "recovery_ms": distribution([s["recovery"] / (s.get("resumes") or s["drops"])
                                         for s in recovered if s["recovery"] is not None])}


def _open_loop_stats(window: list[dict]) -> dict | None:
    scheduled = [s for s in window if s["issued"] is not None or s["error"] == "dropped"]
    if not scheduled:
        return None
    late = [s["issued"] - s["start"] for s in scheduled if s["issued"] is not None]
    return {"scheduled": len(scheduled),
            "late": sum(1 for d in late if d > LATE_S),
            "dropped": sum(1 for s in scheduled if s["error"] == "dropped"),
            "start_delay_ms": distribution(late)}
