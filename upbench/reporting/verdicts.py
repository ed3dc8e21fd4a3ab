"""Every registered claim judged from the results of a run: "holds", "does not hold",
"inconclusive" (the interval straddles the threshold, or the repetitions disagree: the
evidence says which) or "not measured" (it says which experiment would measure it).
The claims and their experiments are in upbench/claims/."""

from __future__ import annotations

from upbench.claims import CLAIMS
from upbench.claims.judge import judge
from upbench.records import Verdict


def evaluate(doc: dict) -> list[Verdict]:
    return [judge(claim, doc) for claim in CLAIMS.values()]
