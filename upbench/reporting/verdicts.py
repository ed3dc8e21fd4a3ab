"""The seeds' claims, each judged from the results of this run (or "not measured").

A claim is a function of the results document returning (holds, evidence) or None when the run
lacks the data (a target or scenario was not part of it). Evidence always carries the figures.
"""

from __future__ import annotations

from collections.abc import Callable

from loadtests.units import format_size
from upbench.reporting.labels import result_label

Verdict = tuple[bool, str] | None
MIN_SIGNAL_MB = 16  # uploads in flight must span at least this much for a memory verdict
FASTER = 0.8        # "faster" = at most 0.8x the other's median latency
CLAIMS: list[tuple[str, str, Callable[[dict], Verdict]]] = []


def claim(text: str, seed: str):
    def register(fn):
        CLAIMS.append((text, seed, fn))
        return fn
    return register


def evaluate(doc: dict) -> list[dict]:
    out = []
    for text, seed, judge in CLAIMS:
        verdict = judge(doc)
        holds, evidence = verdict if verdict else (None, "not measured in this run")
        out.append({"claim": text, "seed": seed, "holds": holds, "evidence": evidence})
    return out


# --- helpers ----------------------------------------------------------------------------------

def _results(doc: dict, target: str, scenario: str = "upload") -> list[dict]:
    return [r for r in doc["results"] if r["target"] == target and r["scenario"] == scenario
            and r["latency_ms"]]


def _pairs(doc: dict, a: str, b: str, scenario: str = "upload") -> list[tuple[dict, dict]]:
    """Results of targets a and b at the same scenario, size and load."""
    def key(r):
        return (r["size_bytes"], r["load"]["model"], r["load"]["users"], r["load"]["rate"])
    theirs = {key(r): r for r in _results(doc, b, scenario)}
    return [(r, theirs[key(r)]) for r in _results(doc, a, scenario) if key(r) in theirs]


_level = result_label


def _rss_growth(doc: dict, target: str):
    """(RSS peak growth MB, size growth MB, smallest, largest result, users) from the smallest
    to the largest upload size; None when the run cannot tell (one size, or too little data in
    flight for memory to show it)."""
    rs = [r for r in doc["results"] if r["target"] == target and r.get("server")
          and r["server"].get("rss_peak_mb") is not None]
    if len({r["size_bytes"] for r in rs}) < 2:
        return None
    small = min(rs, key=lambda r: (r["size_bytes"], r["server"]["rss_peak_mb"]))
    big = max(rs, key=lambda r: (r["size_bytes"], r["server"]["rss_peak_mb"]))
    span = (big["size_bytes"] - small["size_bytes"]) / 1e6
    users = max(big["load"]["users"] or 1, 1)
    if span * users < MIN_SIGNAL_MB:
        return None
    return (big["server"]["rss_peak_mb"] - small["server"]["rss_peak_mb"], span, small, big,
            users)


# --- the claims -------------------------------------------------------------------------------

@claim("Streaming the upload to disk keeps server memory flat as uploads grow", "001")
def streaming_memory(doc):
    growth = _rss_growth(doc, "flask-stream")
    if growth is None:
        return None
    delta, span, small, big, users = growth
    holds = delta < max(0.1 * span * users, 20)
    return holds, (f"flask-stream RSS peak {small['server']['rss_peak_mb']:.0f} MB at "
                   f"{format_size(small['size_bytes'])} vs {big['server']['rss_peak_mb']:.0f} MB "
                   f"at {format_size(big['size_bytes'])} (+{delta:.0f} MB for +{span:.0f} MB "
                   f"per upload)")


@claim("request.files + save() loads the entire file into memory", "001")
def basic_upload_memory(doc):
    growth = _rss_growth(doc, "flask-sync")
    if growth is None:
        return None
    delta, span, _, big, users = growth
    holds = delta >= 0.5 * span * users
    return holds, (f"flask-sync RSS peak +{delta:.0f} MB when each of {users} concurrent "
                   f"uploads grew by {span:.0f} MB (Werkzeug spools bodies over 500 KB to a "
                   "temporary file)")


@claim("Streaming uploads are at least as fast as request.files + save()", "001")
def streaming_speed(doc):
    pairs = _pairs(doc, "flask-stream", "flask-sync")
    if not pairs:
        return None
    wins = [(a, b) for a, b in pairs if a["throughput"]["mbps"] >= 0.95 * b["throughput"]["mbps"]]
    best = max(pairs, key=lambda p: p[0]["size_bytes"])
    return len(wins) * 2 >= len(pairs), (
        f"flask-stream ≥ 0.95× flask-sync MB/s in {len(wins)} of {len(pairs)} levels; at "
        f"{_level(best[0])}: {best[0]['throughput']['mbps']:.1f} vs "
        f"{best[1]['throughput']['mbps']:.1f} MB/s")


@claim("Saving uploads synchronously blocks the server from handling other requests", "000")
def sync_blocks_others(doc):
    mixed = [r for r in doc["results"] if r["scenario"] == "mixed" and r.get("bystander_ms")]
    sync = [r for r in mixed if r["target"] == "flask-sync"]
    if not sync:
        return None
    worst = max(sync, key=lambda r: r["bystander_ms"]["p99"])
    best = min(mixed, key=lambda r: r["bystander_ms"]["p50"])
    p99, base = worst["bystander_ms"]["p99"], best["bystander_ms"]["p50"]
    holds = p99 > max(3 * base, 20)
    return holds, (f"GET /health beside flask-sync uploads ({_level(worst)}): p99 "
                   f"{p99:.0f} ms vs {base:.1f} ms p50 beside {best['target']} — "
                   + ("bystanders queue behind uploads" if holds else "not held up"))


def _faster(doc, fast: str, slow: str, scenario: str = "upload"):
    """Does `fast` answer at most FASTER x `slow`'s median latency, at most levels?"""
    pairs = _pairs(doc, fast, slow, scenario)
    if not pairs:
        return None
    wins = [p for p in pairs if p[0]["latency_ms"]["p50"] <= FASTER * p[1]["latency_ms"]["p50"]]
    a, b = max(pairs, key=lambda p: (p[0]["size_bytes"], p[0]["load"]["users"] or 0))
    done = (a.get("completion_ms") or {}).get("p50")
    return len(wins) * 2 > len(pairs), (
        f"{fast} answered in ≤{FASTER:g}× {slow}'s median time in {len(wins)} of {len(pairs)} "
        f"levels; at {_level(a)}: p50 {a['latency_ms']['p50']:.1f} vs "
        f"{b['latency_ms']['p50']:.1f} ms" + (f" (work done after {done:.1f} ms)" if done else ""))


@claim("Offloading the save to a background thread answers faster", "000, 004")
def thread_answers_faster(doc):
    return _faster(doc, "flask-thread", "flask-sync")


@claim("BackgroundTasks gives an immediate response", "002")
def background_tasks_immediate(doc):
    return _faster(doc, "fastapi-async", "fastapi-stream")


@claim("Celery keeps the API fast", "001")
def celery_fast(doc):
    return _faster(doc, "queued", "flask-sync")


@claim("Async Flask serves more requests at once", "003")
def async_flask_concurrency(doc):
    pairs = [p for p in _pairs(doc, "flask-async", "flask-sync") if (p[0]["load"]["users"] or 0) > 1]
    if not pairs:
        return None
    ratios = [a["throughput"]["rps"] / max(b["throughput"]["rps"], 1e-9) for a, b in pairs]
    wins = sum(r >= 1.2 for r in ratios)
    a, b = max(pairs, key=lambda p: (p[0]["load"]["users"] or 0, p[0]["size_bytes"]))
    return wins * 2 > len(pairs), (
        f"flask-async ≥1.2× flask-sync's req/s in {wins} of {len(pairs)} concurrent levels "
        f"(ratios {min(ratios):.2f}–{max(ratios):.2f}×); at {_level(a)}: "
        f"{a['throughput']['rps']:.1f} vs {b['throughput']['rps']:.1f} req/s, same gunicorn "
        "sync workers")


@claim("Chunked uploads survive network failures", "001")
def chunked_survive(doc):
    rs = [r for r in doc["results"] if r["scenario"] == "resumable" and r.get("resume")]
    if not rs:
        return None
    drops = sum(r["resume"]["drops"] for r in rs)
    recovered = sum(r["resume"]["completed_after_drop"] for r in rs)
    lost = sum(r["integrity"]["lost"] + r["integrity"]["corrupt"] for r in rs)
    failures = sum(r["failures"] for r in rs)
    rec = [r["resume"]["recovery_ms"]["p50"] for r in rs if r["resume"]["recovery_ms"]]
    holds = drops > 0 and recovered > 0 and lost == 0 and failures == 0
    return holds, (f"{drops} connections cut mid-chunk; {recovered} uploads completed after a "
                   f"cut, {failures} failed, {lost} lost or corrupt"
                   + (f"; resume took {min(rec):.0f}–{max(rec):.0f} ms (p50)" if rec else ""))
