"""The compact table printed at the end of a run (read back from results.json, like the report)."""

from __future__ import annotations

import sys
from pathlib import Path

from loadtests.units import format_size
from upbench.reporting import meaning, results
from upbench.reporting.labels import level_label, result_label


def print_summary(path: Path, quiet: bool = False) -> None:
    doc = results.load(path)
    out = sys.stderr
    for check in doc["verify"]:
        if not check["ok"]:
            failed = ", ".join(c["name"] for c in check["checks"] if not c["ok"])
            print(f"! {check['target']}: skipped, verify failed: {failed}", file=out)
    if quiet or not doc["results"]:
        _failure_warnings(doc, out)  # warnings, like the skipped targets, even when quiet
        return
    header = (f"{'target':<15} {'scenario':<9} {'size':>7} {'load':>9} {'req/s':>8} {'MB/s':>7} "
              f"{'p50 ms':>9} {'p99 ms':>9} {'done p50':>9} {'RSS MB':>7} {'fail':>5} {'lost':>4}")
    print("\n" + header, file=out)
    # a claims run has dozens of repeated levels: the table shows the first repetition of each
    for r in (r for r in doc["results"] if (r.get("repetition") or 1) == 1):
        level = level_label(r["load"], short=True)
        lat = r["latency_ms"] or {}
        done = r["completion_ms"] or {}
        rss = (r["server"] or {}).get("rss_peak_mb")
        print(f"{r['target']:<15} {r['scenario']:<9} {format_size(r['size_bytes']):>7} "
              f"{level:>9} {r['throughput']['rps']:>8.1f} {r['throughput']['mbps']:>7.1f} "
              f"{_ms(lat.get('p50')):>9} {_ms(lat.get('p99')):>9} {_ms(done.get('p50')):>9} "
              f"{'-' if rss is None else f'{rss:.0f}':>7} {r['failures']:>5} "
              f"{r['integrity']['lost']:>4}" + (" *" if r["client"]["saturated"] else "")
              + (" !" if r.get("failure_warning") else ""), file=out)
    if any(r["client"]["saturated"] for r in doc["results"]):
        print("* the load generator was saturated: those figures describe the client", file=out)
    for check in doc["verify"]:  # anyone's endpoint: what could not be checked there
        unchecked = [c for c in check["checks"] if c.get("advisory") and
                     (c.get("skipped") or not c["ok"])]
        if check.get("external") and unchecked:
            print(f"{check['target']}, not verified: " + "; ".join(
                f"{c['name']} ({c['detail'][:90]})" for c in unchecked), file=out)
    _failure_warnings(doc, out)
    what = meaning.lines(doc)
    if what:
        print("\nWhat it means:", file=out)
        for line in what:
            print(f"  {line}", file=out)
    measured = [v for v in doc["verdicts"] if v.get("verdict", "") != "not measured"]
    for v in measured:
        mark = v.get("verdict") or {True: "holds", False: "does not hold",
                                    None: "not measured"}[v["holds"]]
        print(f"- [{mark}] {v.get('id') or v['claim']} (seed {v['seed']}): {v['evidence']}",
              file=out)
    if len(measured) < len(doc["verdicts"]):
        print(f"- {len(doc['verdicts']) - len(measured)} claim(s) not measured in this run: "
              "`python bench.py` judges them all", file=out)
    print(file=out)


def _failure_warnings(doc: dict, out) -> None:
    """One line per level where more than a few percent of the uploads failed (marked ! in
    the table): how many, the top error, a hint."""
    for r in doc["results"]:
        if r.get("failure_warning"):
            print(f"! {r['target']} {r['scenario']} {result_label(r)}: "
                  f"{r['failure_warning']['text']}", file=out)


def _ms(value) -> str:
    return "-" if value is None else f"{value:.1f}"
