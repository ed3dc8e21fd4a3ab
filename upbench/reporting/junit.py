"""`--junit FILE`: a run's outcome as JUnit XML, the file Jenkins, GitLab, Azure DevOps and
GitHub's test reporters read (the Surefire/Jenkins schema: `testsuites` > `testsuite` >
`testcase` with `failure` or `skipped`; times in seconds with 3 decimals).

Suites of a run (`run` and the claims run), each from results.json alone:
- `verify`: one testcase per target checked; failing when its contract checks failed.
- `levels`: one testcase per measured level (a repeated level once per repetition); failing on
  lost or corrupt uploads, a failure warning (more than 5 % of uploads failed), a level error
  (a storage backend, a dropped load-generating worker).
- `claims`: one testcase per verdict. With a baseline (`--baseline OLD.json`) it fails when the
  verdict differs from the baseline's; without one it only records the verdict. A claim the run
  did not measure is `skipped`.
Suites of `compare`: `gates`, one testcase per `--fail-on` limit (failing with the figures that
crossed it), and `claims` against OLD.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from loadtests.units import format_size
from upbench.reporting.compare import verdict_changes
from upbench.reporting.labels import level_label


@dataclass(frozen=True)
class Case:
    name: str
    classname: str
    failure: str | None = None     # the message of a failing case
    skipped: str | None = None     # why a case was not run
    output: str = ""               # shown beside the case (system-out)
    time_s: float = 0.0


def run_suites(doc: dict, baseline: dict | None = None) -> dict[str, list[Case]]:
    """{suite name: cases} of a run's results.json."""
    return {"verify": [_verify_case(v) for v in doc["verify"]],
            "levels": [level_case(r) for r in doc["results"]],
            "claims": claim_cases(doc, baseline)}


def level_name(r: dict) -> str:
    name = (f"{r['target']} {r['scenario']} {format_size(r['size_bytes'])} "
            f"{level_label(r['load'], short=True)}")
    if r.get("experiment"):
        name += f" [{r['experiment']} {r.get('arm', '')}]".replace(" ]", "]")
    if r.get("repetition"):
        name += f" #{r['repetition']}"
    return name


def level_problems(r: dict) -> list[str]:
    """Why a level fails CI: what was lost or corrupt, a failure warning, a level error."""
    integrity = r.get("integrity") or {}
    out = [f"{integrity[k]} {k} upload(s)" for k in ("lost", "corrupt") if integrity.get(k)]
    if r.get("failure_warning"):
        out.append(r["failure_warning"]["text"])
    if r.get("level_error"):
        out.append(r["level_error"])
    return out


def level_case(r: dict) -> Case:
    problems = level_problems(r)
    lat = r.get("latency_ms") or {}
    output = (f"{r['requests']} requests, {r['failures']} failed, "
              f"{r['throughput']['rps']:.1f} req/s, {r['throughput']['mbps']:.1f} MB/s, "
              f"latency p50 {lat.get('p50', '-')} ms, p99 {lat.get('p99', '-')} ms")
    return Case(level_name(r), f"upbench.levels.{r['target']}",
                failure="; ".join(problems) or None, output=output,
                time_s=float(r.get("duration_s") or 0))


def _verify_case(v: dict) -> Case:
    failed = [f"{c['name']}: {c['detail']}" for c in v["checks"]
              if not c["ok"] and not c.get("advisory")]
    name = v["target"] + (f" (work {v['work']})" if v.get("work") else "")
    passed = sum(c["ok"] for c in v["checks"])
    return Case(name, "upbench.verify", failure="; ".join(failed) or None,
                output=f"{passed} of {len(v['checks'])} checks passed")


def claim_cases(doc: dict, baseline: dict | None) -> list[Case]:
    """One case per verdict; failing when the baseline holds another verdict for it."""
    changed = _changed_verdicts(baseline, doc) if baseline is not None else {}
    cases = []
    for v in doc.get("verdicts") or []:
        ident = v.get("id") or v["claim"]
        state = _state(v)
        cases.append(Case(
            ident, f"upbench.claims.seed{v.get('seed', '')}".rstrip("."),
            failure=changed.get(ident),
            skipped="not measured in this run" if state == "not measured" and ident not in
            changed else None,
            output=v.get("evidence") or state))
    return cases


def _changed_verdicts(old: dict, new: dict) -> dict[str, str]:
    """{claim id: "holds -> does not hold"} from compare's own verdict diff."""
    out = {}
    for line in verdict_changes(old, new)[1:]:
        ident, _, what = line.removeprefix("VERDICT  ").partition(": ")
        out[ident] = f"verdict changed against the baseline: {what}"
    return out


def _state(v: dict) -> str:
    return v.get("verdict") or {True: "holds", False: "does not hold"}.get(
        v.get("holds"), "not measured")


def gate_cases(thresholds: list, crossed_by: dict) -> list[Case]:
    """compare: one case per --fail-on limit; `crossed_by` maps it to the lines failing it."""
    return [Case(f"{t.metric}:{t.percent:+g}%", "upbench.gates",
                 failure="\n".join(crossed_by.get(t, [])) or None) for t in thresholds]


def write(suites: dict[str, list[Case]], path: Path, name: str = "upbench") -> None:
    root = ET.Element("testsuites", name=name)
    totals = {"tests": 0, "failures": 0, "time": 0.0}
    for suite_name, cases in suites.items():
        failures = sum(c.failure is not None for c in cases)
        skipped = sum(c.skipped is not None and c.failure is None for c in cases)
        time_s = sum(c.time_s for c in cases)
        suite = ET.SubElement(root, "testsuite", name=suite_name, tests=str(len(cases)),
                              failures=str(failures), errors="0", skipped=str(skipped),
                              time=f"{time_s:.3f}")
        for c in cases:
            case = ET.SubElement(suite, "testcase", name=c.name, classname=c.classname,
                                 time=f"{c.time_s:.3f}")
            if c.failure is not None:
                ET.SubElement(case, "failure", message=c.failure.splitlines()[0][:500],
                              type="upbench").text = c.failure
            elif c.skipped is not None:
                ET.SubElement(case, "skipped", message=c.skipped)
            if c.output:
                ET.SubElement(case, "system-out").text = c.output
        totals["tests"] += len(cases)
        totals["failures"] += failures
        totals["time"] += time_s
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", "0")
    root.set("time", f"{totals['time']:.3f}")
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
