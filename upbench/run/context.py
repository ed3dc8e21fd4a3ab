"""What every level of one run shares — not a run itself: where it writes, the results
document it fills, the progress lines, the CPU plan. Opened once by the sweep or the claims
run, closed by `finish`, which judges the run's own claims and renders the report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from upbench.claims.judge import judge
from upbench.claims.model import Claim
from upbench.lifecycle import pinning
from upbench.paths import reports_dir
from upbench.progress import Progress
from upbench.records import Result, VerifyRecord
from upbench.reporting import findings, html, results
from upbench.reporting.labels import one_line


@dataclass
class RunContext:
    out: Path
    doc: dict             # results.json as it fills (docs/contracts.md)
    progress: Progress
    cpus: pinning.CpuPlan

    @classmethod
    def open(cls, command: list[str], config: dict, out: Path | None, pin: str, processes: int,
             progress: Progress) -> RunContext:
        """The run's folder (`out`, or reports/<run-id>/) and its results skeleton."""
        run_id = results.new_run_id()
        out = out or reports_dir() / run_id
        out.mkdir(parents=True, exist_ok=True)
        doc = results.skeleton(run_id, ["python", "bench.py", *command], config)
        cpus = pinning.plan(pin, processes)
        doc["pinning"] = cpus.as_dict()
        return cls(out, doc, progress, cpus)

    def record(self, result: Result) -> None:
        self.doc["results"].append(result)
        self.progress.info(one_line(result))

    def verified(self, check: VerifyRecord) -> None:
        self.doc["verify"].append(check)

    def save(self) -> None:
        results.write(self.doc, self.out / "results.json")  # partial results survive a failure

    def finish(self, claims: Iterable[Claim]) -> None:
        """Judge `claims` (the run's own) from the results, summarise, write, render."""
        self.doc["verdicts"] = [judge(claim, self.doc) for claim in claims]
        self.doc["summary"] = findings.summarize(self.doc)
        self.save()
        html.render(self.doc, self.out / "index.html")
