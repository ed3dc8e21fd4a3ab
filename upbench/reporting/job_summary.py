"""GitHub Actions' job summary: when `GITHUB_STEP_SUMMARY` names a file, `run`, the claims run
and `compare` append their final table and verdicts to it as Markdown (GitHub renders it on
the run's page). Appended, never overwritten: other steps of the job write there too."""

from __future__ import annotations

import os
from pathlib import Path

from loadtests.units import format_size
from upbench.reporting.junit import level_problems
from upbench.reporting.labels import level_label

ENV = "GITHUB_STEP_SUMMARY"


def target() -> Path | None:
    value = os.environ.get(ENV, "").strip()
    return Path(value) if value else None


def append(markdown: str) -> None:
    path = target()
    if path is not None:
        with open(path, "a", encoding="utf-8") as f:
            f.write(markdown.rstrip("\n") + "\n\n")


def run_markdown(doc: dict, folder: Path) -> str:
    lines = [f"## upbench run {doc['run_id']}", "", f"`{_cell(doc['command'])}`", ""]
    failed = [v["target"] for v in doc["verify"] if not v["ok"]]
    if failed:
        lines += [f"**Skipped, verify failed:** {', '.join(failed)}", ""]
    if doc["results"]:
        lines += ["| target | scenario | size | load | rep | req/s | MB/s | p50 ms | p99 ms "
                  "| failed | lost | problem |",
                  "|---|---|---|---|---|--:|--:|--:|--:|--:|--:|---|"]
        for r in doc["results"]:
            lat = r.get("latency_ms") or {}
            lines.append(
                f"| {r['target']} | {r['scenario']} | {format_size(r['size_bytes'])} "
                f"| {level_label(r['load'], short=True)} | {r.get('repetition') or 1} "
                f"| {r['throughput']['rps']:.1f} | {r['throughput']['mbps']:.1f} "
                f"| {_ms(lat.get('p50'))} | {_ms(lat.get('p99'))} | {r['failures']} "
                f"| {(r.get('integrity') or {}).get('lost', 0)} "
                f"| {_cell('; '.join(level_problems(r)))} |")
        lines.append("")
    measured = [v for v in doc.get("verdicts") or [] if v.get("verdict") != "not measured"]
    if measured:
        lines += ["| claim | verdict | evidence |", "|---|---|---|"]
        lines += [f"| {v.get('id') or v['claim']} | **{v.get('verdict')}** "
                  f"| {_cell(v.get('evidence') or '')} |" for v in measured]
        lines.append("")
    lines.append(f"Report: `{folder / 'index.html'}`")
    return "\n".join(lines)


def compare_markdown(old: str, new: str, lines: list[str], crossed: list[str]) -> str:
    head = (f"**{len(crossed)} limit(s) crossed**" if crossed else "**no limit crossed**")
    out = ["## upbench compare", "", f"`{old}` → `{new}`: {head}", ""]
    out += [f"- {_cell(line)}" for line in crossed]
    out += ["", "<details><summary>the comparison</summary>", "", "```", *lines, "```", "",
            "</details>"]
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _ms(value) -> str:
    return "-" if value is None else f"{value:.1f}"
