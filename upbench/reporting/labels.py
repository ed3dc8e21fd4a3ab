"""How a load level and a result are named in text: one place for the terminal, the report,
verdicts, findings and compare."""

from __future__ import annotations

from loadtests.units import format_size


def level_label(load: dict, short: bool = False) -> str:
    """{"model": "closed", "users": 8} -> "8 users" ("8u" short); open loop -> "20/s"."""
    if load["model"] == "closed":
        users = load["users"]
        return f"{users}u" if short else f"{users} user" + ("s" if users != 1 else "")
    return f"{load['rate']:g}/s"


def result_label(r: dict) -> str:
    """"1MB, 8 users" — the size and load a result was measured at."""
    return f"{format_size(r['size_bytes'])}, {level_label(r['load'])}"


def one_line(r: dict) -> str:
    """The progress line printed after each level."""
    lat = r["latency_ms"] or {}
    rss = (r["server"] or {}).get("rss_peak_mb")
    by = r.get("bystander_ms") or {}
    return (f"{r['throughput']['rps']:.1f} req/s  {r['throughput']['mbps']:.1f} MB/s  "
            f"p50 {lat.get('p50', '-')} ms  p99 {lat.get('p99', '-')} ms  "
            f"failures {r['failures']}/{r['requests']}"
            + (f"  bystander p90 {by['p90']} ms" if by else "")
            + (f"  server RSS peak {rss} MB" if rss is not None else "")
            + ("  [load generator saturated]" if r["client"]["saturated"] else "")
            + "".join(f"  [{side} saturated]" for side in
                      (r.get("conditions") or {}).get("saturated_by", []) if side != "generator")
            + (f"  ! {r['level_error']}" if r.get("level_error") else "")
            + (f"  ! {r['failure_warning']['text']}" if r.get("failure_warning") else ""))
