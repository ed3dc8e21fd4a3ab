"""The seeds' claims, each judged from the results of this run (or "not measured").

A claim is a function of the results document returning (holds, evidence) or None when the run
lacks the data (a target or scenario was not part of it). Evidence always carries the figures.
"""

from __future__ import annotations

from typing import Callable

from upbench.units import format_size

Verdict = tuple[bool, str] | None
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


def _level(r: dict) -> str:
    load = r["load"]
    who = f"{load['users']} users" if load["model"] == "closed" else f"{load['rate']:g}/s"
    return f"{format_size(r['size_bytes'])}, {who}"


def _rss_growth(doc: dict, target: str) -> tuple[float, float, dict, dict] | None:
    """RSS peak at the largest size minus at the smallest (MB), and that size span (MB)."""
    rs = [r for r in doc["results"] if r["target"] == target and r.get("server")
          and r["server"].get("rss_peak_mb") is not None]
    if len({r["size_bytes"] for r in rs}) < 2:
        return None
    small = min(rs, key=lambda r: (r["size_bytes"], r["server"]["rss_peak_mb"]))
    big = max(rs, key=lambda r: (r["size_bytes"], r["server"]["rss_peak_mb"]))
    return (big["server"]["rss_peak_mb"] - small["server"]["rss_peak_mb"],
            (big["size_bytes"] - small["size_bytes"]) / 1e6, small, big)


# --- the claims -------------------------------------------------------------------------------

@claim("Streaming the upload to disk keeps server memory flat as uploads grow", "001")
def streaming_memory(doc):
    growth = _rss_growth(doc, "flask-stream")
    if growth is None:
        return None
    delta, span, small, big = growth
    users = max(big["load"]["users"] or 1, 1)
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
    delta, span, small, big = growth
    users = max(big["load"]["users"] or 1, 1)
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
    mixed = [r for r in doc["results"] if r["target"] == "flask-sync" and r["scenario"] == "mixed"
             and r.get("bystander_ms")]
    if not mixed:
        return None
    worst = max(mixed, key=lambda r: r["bystander_ms"]["p99"])
    p99 = worst["bystander_ms"]["p99"]
    holds = p99 > 100
    return holds, (f"GET /health p99 {p99:.0f} ms (p50 {worst['bystander_ms']['p50']:.1f} ms) "
                   f"beside flask-sync uploads at {_level(worst)}")
