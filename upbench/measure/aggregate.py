"""Raw samples -> the numbers of one result: k6's timing split, HDR percentiles, rates, errors.

Definitions (k6): on a new connection, connecting (TCP) and tls_handshaking come first and are
their own phases; sending = sent - start - connecting - tls_handshaking, waiting = ttfb - sent,
TTFB = ttfb - start (= connecting + tls_handshaking + sending + waiting), latency = end - start,
completion = done - start. So TTFB and latency mean the same over http and https, from the
moment the upload began, and the cost of a new connection shows as its own phases instead of
hiding in "sending". `start` is the intended start in open-loop
runs, so a stalled server shows up in every figure (coordinated omission corrected).
Percentiles come from an HDR histogram at microsecond resolution (3 significant digits);
max and mean are exact. The same histogram gives the latency *spectrum* (HdrHistogram's
percentile distribution, for the report's 1/(1-p) plot), and per-second buckets of the raw
samples give the time series of a level (`series`), so the report needs results.json alone.
"""

from __future__ import annotations

import math
from collections import Counter

from hdrh.histogram import HdrHistogram

from loadtests import failures
from loadtests.http import is_2xx

PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p999": 99.9}
HDR_MAX_US = 3600 * 1_000_000  # one hour
LATE_S = 0.010  # an open-loop start this much behind schedule counts as late
SPECTRUM_TICKS = 4  # points per halving of the distance to 100 % (HdrHistogram's "ticks per half")
SERIES_MAX_POINTS = 300  # a long level gets wider buckets than 1 s, not a longer list


def _histogram(values_s: list[float]) -> tuple[HdrHistogram, list[float]] | None:
    values = [v for v in values_s if v is not None and v >= 0]
    if not values:
        return None
    hist = HdrHistogram(1, HDR_MAX_US, 3)
    for v in values:
        hist.record_value(min(max(int(v * 1e6), 1), HDR_MAX_US))
    return hist, values


def distribution(values_s: list[float]) -> dict | None:
    """Seconds in, milliseconds out: {p50, p90, p95, p99, p999, max, mean, count}."""
    built = _histogram(values_s)
    if built is None:
        return None
    hist, values = built
    out = {name: round(hist.get_value_at_percentile(p) / 1000, 3) for name, p in PERCENTILES.items()}
    out["max"] = round(max(values) * 1000, 3)
    out["mean"] = round(sum(values) / len(values) * 1000, 3)
    out["count"] = len(values)
    return out


def spectrum(values_s: list[float]) -> list[list[float]] | None:
    """[[percentile, ms], ...] at HdrHistogram's points p = 100 (1 - 2^(-k/4)) — evenly spaced on
    the 1/(1-p) axis — up to the last percentile that one sample still resolves (1 - 1/count),
    then [100, exact max]. Values never exceed the exact max (HDR reports a bucket's top)."""
    built = _histogram(values_s)
    if built is None:
        return None
    hist, values = built
    top = max(values) * 1000
    last = 100 * (1 - 1 / len(values))
    out, k = [], 0
    while (p := 100 * (1 - 2 ** (-k / SPECTRUM_TICKS))) <= last:
        out.append([round(p, 4), round(min(hist.get_value_at_percentile(p) / 1000, top), 3)])
        k += 1
    out.append([100.0, round(top, 3)])
    return out


def series(uploads: list[dict], warmup: float) -> dict | None:
    """What happened second by second in a level, warm-up included (the report shades it):
    completed uploads/s, failures/s and p50/p99 latency of the uploads that *ended* in each
    bucket; in open loop also the intended and the actual start rate. `t` is seconds from
    `t0` (epoch of the level's first start), the clock of the server timeline and the crash."""
    starts = [s["start"] for s in uploads if s["start"] is not None]
    if not starts:
        return None
    t0 = min(starts)
    last = max([s["end"] for s in uploads if s["end"] is not None] + starts)
    span = max(last - t0, 1e-9)
    bucket = max(1.0, math.ceil(span / SERIES_MAX_POINTS))
    n = max(1, math.ceil(span / bucket))

    def at(t: float) -> int:
        return min(max(int((t - t0) // bucket), 0), n - 1)

    latencies: list[list[float]] = [[] for _ in range(n)]
    failed = [0] * n
    for s in uploads:
        if ok(s) and s["end"] is not None:
            latencies[at(s["end"])].append(s["end"] - s["start"])
        else:
            failed[at(s["end"] if s["end"] is not None else s["start"])] += 1
    dists = [distribution(v) for v in latencies]
    # the last bucket ends with the level: a rate over its real width, not a dip at the end
    widths = [bucket] * (n - 1) + [max(span - (n - 1) * bucket, bucket / 10)]
    out = {"t0": t0, "bucket_s": bucket, "warmup_s": warmup,
           "t": [round(i * bucket, 3) for i in range(n)],
           "rps": [round(len(v) / w, 3) for v, w in zip(latencies, widths, strict=True)],
           "failed": failed,
           "p50_ms": [d["p50"] if d else None for d in dists],
           "p99_ms": [d["p99"] if d else None for d in dists]}
    scheduled = [s for s in uploads if s["issued"] is not None or s["error"] == "dropped"]
    if scheduled:
        intended, issued = [0] * n, [0] * n
        for s in scheduled:
            intended[at(s["start"])] += 1
            if s["issued"] is not None:
                issued[at(s["issued"])] += 1
        out["intended_rps"] = [round(c / w, 3) for c, w in zip(intended, widths, strict=True)]
        out["issued_rps"] = [round(c / w, 3) for c, w in zip(issued, widths, strict=True)]
    return out


def ok(sample: dict) -> bool:
    """A success: a 2xx; in the oversize scenario, a refusal the client could read (4xx)."""
    status = sample["status"]
    if sample["error"] is not None or status is None:
        return False
    return is_2xx(status) or sample["kind"] == "oversize" and 400 <= status < 500


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
    """Uploads (and MB) per second inside the measured interval, from the warm-up's end to the
    time limit, *time-weighted*: each successful upload counts for the share of its own
    duration (start to end) that falls inside the interval, so an upload half inside counts
    half. Counting whole completions would make the figure a small integer over a fixed
    interval: with 300 ms requests in a 1.6 s window every repetition counted exactly 10, and
    a ratio of two such counts had a zero-width interval. In-flight uploads finish after the
    time limit (Locust's --stop-timeout), so the shares at both ends are all there. An upload
    longer than the level counts for its share too: 2 s of a 10 s upload is 0.2 uploads."""
    if not window:
        return {"rps": 0.0, "mbps": 0.0}
    t0 = min(s["start"] for s in uploads)
    lo, hi = t0 + warmup, t0 + duration
    if hi <= lo:
        lo, hi = t0, max(t0 + duration, t0 + 1e-9)
    count = volume = 0.0
    for s in uploads:
        if not ok(s) or s["end"] is None:
            continue
        took = s["end"] - s["start"]
        inside = min(s["end"], hi) - max(s["start"], lo)
        share = (1.0 if lo <= s["end"] <= hi else 0.0) if took <= 0 else max(inside, 0) / took
        count += share
        volume += share * (s["bytes"] or 0)
    elapsed = hi - lo
    return {"rps": round(count / elapsed, 3), "mbps": round(volume / elapsed / 1e6, 3)}


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
               - (s.get("tls_handshaking") or 0.0) - (s.get("continue_wait") or 0.0)
               for s in good if s["sent"] is not None]

    bystanders = [s for s in samples if s["kind"] == "bystander"]
    by_window = measurement_window(bystanders, duration, warmup)
    latencies = span("start", "end")
    return {
        "requests": len(window),
        "failures": len(bad),
        "errors": dict(Counter(error_kind(s) for s in bad)),
        "throughput": throughput(uploads, window, duration, warmup),
        "latency_ms": distribution(latencies),
        "latency_spectrum": spectrum(latencies),
        "ttfb_ms": distribution(span("start", "ttfb")),
        "sending_ms": distribution(sending),
        "connecting_ms": distribution(phase("connecting")),
        "tls_handshaking_ms": distribution(phase("tls_handshaking")),
        "waiting_ms": distribution(span("sent", "ttfb")),
        "completion_ms": distribution([s["done"] - s["start"] for s in good if s["done"]]),
        "bystander_ms": distribution([s["end"] - s["start"] for s in by_window if ok(s)]),
        "open_loop": _open_loop_stats(window),
        "resume": _resume_stats(window),
        "series": series(uploads, warmup),
        **_optional_phases(good),
        **({"rejection": _rejection_stats(window)}
           if any(s["kind"] == "oversize" for s in window) else {}),
    }


# phases only some uploads have: written only when measured (the default run's results keep
# their shape): the wait for 100 Continue, and a direct-to-storage upload's steps
OPTIONAL_PHASES = {"continue_ms": "continue_wait", "ticket_ms": "ticket",
                   "transfer_ms": "transfer", "complete_ms": "complete"}


def _optional_phases(good: list[dict]) -> dict:
    out = {}
    for name, key in OPTIONAL_PHASES.items():
        found = distribution([s[key] for s in good if s.get(key) is not None])
        if found is not None:
            out[name] = found
    return out


def _rejection_stats(window: list[dict]) -> dict:
    """The oversize scenario: did the client read the refusal (a 4xx) or get a reset, how long
    it took, and how much of the body went out before it (the client's count: what the
    server's socket took, so at most that much was read by the server)."""
    seen = [s for s in window if ok(s)]
    sent = [max(0, s["bytes"] - (s.get("unsent") or 0)) for s in seen if s["bytes"]]
    statuses = Counter(str(s["status"]) for s in seen)
    return {"uploads": len(window), "status_seen": len(seen),
            "reset": sum(1 for s in window if not ok(s)), "statuses": dict(statuses),
            "stopped_early": sum(1 for s in seen if s.get("unsent")),
            "time_to_rejection_ms": distribution([s["ttfb"] - s["start"] for s in seen
                                                  if s["ttfb"] is not None]),
            "sent_before_mb": distribution([b / 1e9 for b in sent]),  # (s -> ms: bytes -> MB)
            "unsent_bytes_mean": round(sum(s.get("unsent") or 0 for s in seen) / len(seen))
            if seen else None}


def _resume_stats(window: list[dict]) -> dict | None:
    """tus uploads (and their control, plain POSTs retried from zero): connections cut,
    retries, bytes sent twice, and the time to resume (from a failure to the start of the next
    PATCH — or POST — the server took), per failure recovered."""
    tus = [s for s in window if s.get("drops") is not None]
    if not tus:
        return None
    cut = [s for s in tus if s["drops"]]
    recovered = [s for s in tus if s.get("resumes") or (s["drops"] and s.get("resumes") is None)]
    return {"uploads": len(tus), "drops": sum(s["drops"] for s in tus), "cut_uploads": len(cut),
            "completed_after_drop": sum(1 for s in cut if ok(s)),
            "retries": sum(s.get("retries") or 0 for s in tus),
            "resumes": sum(s.get("resumes") or 0 for s in tus),
            "bytes_resent": sum(s.get("resent") or 0 for s in tus),
            # every body byte sent, per upload: what arrived plus what was sent twice
            "bytes_sent_per_upload": round(sum((s.get("resent") or 0) + (s["bytes"] if ok(s)
                                                                         else 0)
                                               for s in tus) / len(tus)),
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
