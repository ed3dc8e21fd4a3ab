"""The seeds' Web Vitals sentences, judged by what a real browser measures
(upbench/measure/browser.py, driven by upbench/run/browser_levels.py).

Four seeds headline a Core Web Vital. Each arm below is a load level like any other (Locust
users uploading to the server, 3 s) during which headless Chromium, on the same server,
uploads the same file size from `GET /page` — by the form (LCP of the page it lands on) and
by `fetch()` (INP of the click, and the wait for the result), in turn. The servers do the
long task (`sleep:300`, seed 003's `await asyncio.sleep` scaled down) in or out of the
request: the workload most favourable to the claims, since it makes the blocking patterns'
answers slowest — if INP does not move even then, it does not move. Two users load each
server (as many as its 2 workers: a sync server is always busy, and the browser's upload
queues behind the load — the seeds' "under load").

Thresholds, stated in advance:
- INP: "good" is at most 200 ms (web.dev). "Improves INP" = the control's p50 at least 40 ms
  above the pattern's (a fifth of that span). A difference, not a ratio: a click's INP here
  is a few of Event Timing's 8 ms steps, where a ratio of two such figures is noise.
- LCP: "good" is at most 2.5 s. "Improves LCP" = at least 20 % lower p50 (a ratio: LCP
  scales with what the server makes the page wait for).
Where no Chromium is found the run measures nothing here, and the verdicts say `not
measured` with the install hint (never an error).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from upbench.claims.experiments import LONG_TASK, TASK_RATE
from upbench.claims.model import Arm, Claim, Experiment
from upbench.claims.seed000 import THREAD_FIX
from upbench.records import Result

INTERACTIONS = ("form", "fetch")  # the form first: LCP is the figure the load moves
GOOD_INP_MS, GOOD_LCP_MS = 200, 2500
INP_GAIN_MS = 40.0  # "improves INP": at least this much lower (a fifth of 'good')


@dataclass(frozen=True)
class BrowserArm(Arm):
    """An arm whose load level also drives Chromium against the same server: `browser` says
    which uploads it makes, in turn, as many as fit in the level (at least one each)."""
    browser: tuple[str, ...] = INTERACTIONS
    size: int = 1_000_000
    # the load beside the browser: open loop below the sync arm's capacity (the same offered
    # load on every arm; a closed loop saturated the 2 cores beside Chromium)
    rate: float | None = TASK_RATE
    duration: float | None = 3.0  # a form and a fetch() upload fit in it on a busy sync server

    def describe(self) -> str:
        return f"{super().describe()} + Chromium ({', '.join(self.browser)} uploads)"


def _arms(**targets: str) -> dict[str, Arm]:
    return {role: BrowserArm(target) for role, target in targets.items()}


_WHAT = (f"1 MB uploads arrive at {TASK_RATE:g}/s (open loop) while headless Chromium, on "
         "GET /page, uploads a 1 MB file by fetch() (INP of the click, the wait for the "
         "result) and by the form (LCP of the page it lands on), in turn; every upload's "
         "handling waits 300 ms (in the request, or after the answer)")

BROWSER_FLASK = Experiment(
    "browser-flask", LONG_TASK,
    _arms(sync="flask-sync", thread="flask-thread",
          # seed 003 runs its app with app.run(): its claim compares the two views there
          sync_app_run="flask-sync-app-run", asyncio="flask-async-app-run"), _WHAT)
BROWSER_FASTAPI = Experiment(
    "browser-fastapi", LONG_TASK, _arms(background="fastapi-async", inline="fastapi-inline"),
    _WHAT)
EXPERIMENTS = (BROWSER_FLASK, BROWSER_FASTAPI)


def vital(r: Result, metric: str, key: str = "p50") -> float | None:
    value = ((r.get("browser") or {}).get(metric) or {}).get(key)
    return float(value) if isinstance(value, (int, float)) else None


@dataclass(frozen=True)
class VitalGain:
    """How much lower a browser figure (`inp_ms` p50) is on the pattern's arm than on its
    control's, in ms: control minus pattern (positive = the pattern is better)."""
    pattern: str
    control: str
    metric: str = "inp_ms"
    kind: Literal["value"] = "value"

    @property
    def roles(self) -> set[str]:
        return {self.pattern, self.control}

    def figure(self, arms: dict[str, Result], context: dict) -> float | None:
        a, b = vital(arms[self.control], self.metric), vital(arms[self.pattern], self.metric)
        return a - b if a is not None and b is not None else None

    def label(self, exp: Experiment) -> str:
        pattern, control = exp.arms[self.pattern], exp.arms[self.control]
        return (f"{self.metric.removesuffix('_ms').upper()} p50 of a fetch() upload click, "
                f"{control.target} ({self.control}) − {pattern.target} ({self.pattern})")

    def synthesize(self, value: float, rng: random.Random) -> dict[str, dict]:
        base = rng.uniform(16, 60)
        return {self.pattern: {"browser": {self.metric: {"p50": base}}},
                self.control: {"browser": {self.metric: {"p50": base + value}}}}


@dataclass(frozen=True)
class VitalRatio:
    """A browser figure (`lcp_ms` p50) of arm `num` over the same of arm `den`."""
    num: str
    den: str
    metric: str = "lcp_ms"
    kind: Literal["ratio"] = "ratio"

    @property
    def roles(self) -> set[str]:
        return {self.num, self.den}

    def figure(self, arms: dict[str, Result], context: dict) -> float | None:
        a, b = vital(arms[self.num], self.metric), vital(arms[self.den], self.metric)
        return a / b if a is not None and b else None

    def label(self, exp: Experiment) -> str:
        num, den = exp.arms[self.num], exp.arms[self.den]
        return (f"{self.metric.removesuffix('_ms').upper()} p50 of the form's landing page: "
                f"{num.target} ({self.num}) / {den.target} ({self.den})")

    def synthesize(self, value: float, rng: random.Random) -> dict[str, dict]:
        base = rng.uniform(200, 900)
        return {self.den: {"browser": {self.metric: {"p50": base}}},
                self.num: {"browser": {self.metric: {"p50": base * value}}}}


_INP_WHY = (f"INP of the same fetch() upload click on the same page, the server under the same "
            f"load; 'good' INP is at most {GOOD_INP_MS} ms, and 'improves' = at least "
            f"{INP_GAIN_MS:g} ms lower (a fifth of that)")
_INP_NOTE = ("INP ends at the next paint after the click; the fetch() handler paints "
             "'uploading…' at once and awaits the answer outside the interaction, so the "
             "server's time shows in the wait for the result (reported beside it), not in INP.")

CLAIMS = (
    Claim("thread-improves-inp", "000",
          "Non-blocking upload handling improves INP and server throughput.",
          "Saving in a background thread gives a lower INP than saving in the request",
          ("flask-thread", "flask-sync"), BROWSER_FLASK, VitalGain("thread", "sync"),
          INP_GAIN_MS, "above", _INP_WHY, unit=" ms", notes=(_INP_NOTE,),
          as_written=("flask-thread", "flask-sync"), differs_in=THREAD_FIX),
    Claim("background-tasks-improve-inp", "002",
          "Response returns immediately, improving INP and reducing user wait.",
          "BackgroundTasks gives a lower INP than processing in the request",
          ("fastapi-async", "fastapi-inline"), BROWSER_FASTAPI,
          VitalGain("background", "inline"), INP_GAIN_MS, "above", _INP_WHY,
          unit=" ms", notes=(_INP_NOTE,), differs_in=("hands_off", "acknowledges")),
    Claim("async-flask-improves-inp", "003",
          "Enables concurrent request handling, reducing wait time and improving INP under "
          "load.",
          "An async Flask view gives a lower INP under load than a sync one",
          ("flask-async-app-run", "flask-sync-app-run"), BROWSER_FLASK,
          VitalGain("asyncio", "sync_app_run"), INP_GAIN_MS, "above",
          _INP_WHY + "; both on Werkzeug's threaded app.run(), as the seed runs them",
          unit=" ms", notes=(_INP_NOTE,),
          as_written=("flask-async-app-run", "flask-sync-app-run"), differs_in=("view",)),
    Claim("background-improves-lcp", "004",
          "Response sent instantly, improving LCP and server responsiveness",
          "A long task in a background thread gives the form's landing page a lower LCP",
          ("flask-thread", "flask-sync"), BROWSER_FLASK, VitalRatio("thread", "sync"),
          0.8, "below",
          f"LCP of the page a form upload lands on (its clock starts at the click, so it "
          f"holds the upload and the server's answer), the 300 ms task in a thread vs in the "
          f"request; 'good' LCP is at most {GOOD_LCP_MS / 1000:g} s, 'improves' = at least "
          f"20 % lower", as_written=("flask-thread", "flask-sync"), differs_in=THREAD_FIX),
)
