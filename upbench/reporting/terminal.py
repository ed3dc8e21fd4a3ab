"""The compact table printed at the end of a run (read back from results.json, like the report)."""

from __future__ import annotations

import sys
from pathlib import Path

from loadtests.units import format_size
from upbench.reporting import results
from upbench.reporting.labels import level_label


def print_summary(path: Path, quiet: bool = False) -> None:
    doc = results.load(path)
    out = sys.stderr
    for check in doc["verify"]:
        if not check["ok"]:
            failed = ", ".join(c["name"] for c in check["checks"] if not c["ok"])
            print(f"! {check['target']}: skipped, verify failed: {failed}", file=out)
    if quiet or not doc["results"]:
        return
    header = (f"{'target':<15} {'scenario':<9} {'size':>7} {'load':>9} {'req/s':>8} {'MB/s':>7} "
              f"{'p50 ms':>9} {'p99 ms':>9} {'done p50':>9} {'RSS MB':>7} {'fail':>5} {'lost':>4}")
    print("\n" + header, file=out)
    for r in doc["results"]:
        level = level_label(r["load"], short=True)
        lat = r["latency_ms"] or {}
        done = r["completion_ms"] or {}
        rss = (r["server"] or {}).get("rss_peak_mb")
        print(f"{r['target']:<15} {r['scenario']:<9} {format_size(r['size_bytes']):>7} "
              f"{level:>9} {r['throughput']['rps']:>8.1f} {r['throughput']['mbps']:>7.1f} "
              f"{_ms(lat.get('p50')):>9} {_ms(lat.get('p99')):>9} {_ms(done.get('p50')):>9} "
              f"{'-' if rss is None else f'{rss:.0f}':>7} {r['failures']:>5} "
              f"{r['integrity']['lost']:>4}" + (" *" if r["client"]["saturated"] else ""),
              file=out)
    if any(r["client"]["saturated"] for r in doc["results"]):
        print("* the load generator was saturated: those figures describe the client", file=out)
    for check in doc["verify"]:  # anyone's endpoint: what could not be checked there
        unchecked = [c for c in check["checks"] if c.get("advisory") and
                     (c.get("skipped") or not c["ok"])]
        if check.get("external") and unchecked:
            print(f"{check['target']}, not verified: " + "; ".join(
                f"{c['name']} ({c['detail'][:90]})" for c in unchecked), file=out)
    for v in doc["verdicts"]:
        mark = {True: "holds", False: "does not hold", None: "not measured"}[v["holds"]]
        print(f"- [{mark}] {v['claim']} (seed {v['seed']}): {v['evidence']}", file=out)
    print(file=out)


def _ms(value) -> str:
    return "-" if value is None else f"{value:.1f}"
