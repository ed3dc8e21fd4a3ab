"""A load level with a real browser on the same server: the browser claims' arms
(upbench/claims/webvitals.py).

The level itself is the ordinary one (`run_level`: Locust, sampling, integrity), run in a
helper thread; meanwhile the main thread drives Chromium (Playwright's sync API belongs to
the thread that started it). The browser waits until the load is on the server (its first
upload's folder appears: a readiness check), then uploads the arm's size by fetch() and by
the form, in turn, while the load lasts — at least one of each; those started after the load
ended are kept in the record but not in the figures. Figures go into the level's
result under `browser`, beside Locust's own sending/waiting/TTFB of the same size.

The browser is found and launched once per claims run, on the first browser arm. Without
Chromium (or without Playwright) the browser arms are skipped and the run records why, so
their claims say `not measured` with the install hint.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from upbench.claims.webvitals import BrowserArm
from upbench.measure.browser import PHASES, Browser, BrowserUnavailable, Session, find_chromium, random_file
from upbench.records import BrowserFigures, BrowserUpload, Result
from upbench.run.context import RunContext
from upbench.run.level import Level, run_level
from upbench.run.subject import Subject

LOAD_START_TIMEOUT_S = 30.0   # Locust's imports, then its first upload reaches the server
MAX_PER_KIND = 6              # interactions of each kind in one level, at most


class BrowserLevels:
    """The claims run's Chromium: launched on first use, closed at the end."""

    def __init__(self, executable: str | None = None):
        self.executable = executable
        self.unavailable: str | None = None
        self.browser: Browser | None = None
        self._stack = ExitStack()
        self.seconds = 0.0  # spent in browser levels (results.json: browser.seconds)

    def __enter__(self) -> BrowserLevels:
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def available(self) -> bool:
        """Find and launch Chromium once; False (with `unavailable` saying why) when it can't."""
        if self.browser is None and self.unavailable is None:
            try:
                browser = Browser(find_chromium(self.executable))
                self.browser = self._stack.enter_context(browser)
                self._files = Path(self._stack.enter_context(
                    tempfile.TemporaryDirectory(prefix="upbench-browser-")))
            except BrowserUnavailable as exc:
                self.unavailable = str(exc)
        return self.browser is not None

    def describe(self) -> dict:
        return {"executable": self.browser.executable if self.browser else self.executable,
                "version": self.browser.version if self.browser else None,
                "unavailable": self.unavailable, "seconds": round(self.seconds, 1)}

    def level(self, ctx: RunContext, subject: Subject, arm: BrowserArm, level: Level) -> Result:
        """The arm's load level, with the browser's uploads during it."""
        assert self.browser is not None, "call available() first"
        began = time.monotonic()
        file = random_file(self._files, arm.size)
        before = _entries(subject)
        with ThreadPoolExecutor(1, thread_name_prefix="load-level") as pool:
            load = pool.submit(run_level, ctx, subject, level)
            with self.browser.session() as session:
                loaded_at = _wait_for_load(subject, before, load)
                interactions = _interact(session, subject.base_url, arm.browser, file, load,
                                         loaded_at + level.duration)
            result = load.result()
        result["browser"] = summarize(interactions, self.browser.version)
        self.seconds += time.monotonic() - began
        return result


def _interact(session: Session, base_url: str, kinds: tuple[str, ...], file: Path,
              load: Future, until: float) -> list[BrowserUpload]:
    """The browser's uploads while the load lasts (until `until`): kinds in turn, one of each
    always, more while the last one's time still fits. Only those that started under load
    count in the figures (their requests queue behind the load's requests in flight)."""
    actions = {"fetch": session.upload_fetch, "form": session.upload_form}
    done: list[BrowserUpload] = []
    for turn in range(MAX_PER_KIND * len(kinds)):
        if turn >= len(kinds) and time.monotonic() + done[-1]["wall_s"] > until:
            break
        under_load = time.monotonic() < until and not load.done()
        record = actions[kinds[turn % len(kinds)]](base_url, file)
        record["under_load"] = under_load
        done.append(record)
    return done


def _entries(subject: Subject) -> set[str]:
    data_dir = subject.storage.data_dir if subject.storage else None
    return {p.name for p in data_dir.iterdir()} if data_dir else set()


def _wait_for_load(subject: Subject, before: set[str], load: Future) -> float:
    """When the level's first upload reached the server (a new folder in its data dir: a
    202 pattern's thread may still write an earlier level's upload after the clean-up)."""
    deadline = time.monotonic() + LOAD_START_TIMEOUT_S
    while subject.storage and not load.done() and time.monotonic() < deadline:
        if _entries(subject) - before:
            break
        time.sleep(0.02)  # polling a readiness condition, bounded by the deadline
    return time.monotonic()


def summarize(interactions: list[BrowserUpload], version: str) -> BrowserFigures:
    """The level's browser figures from its interactions that succeeded under load: p50/max/n
    of INP, the wait for the result, LCP, and the median of each DevTools phase of the upload
    request, per kind of upload."""
    ok = [i for i in interactions if i.get("ok") and i.get("under_load")]

    def figures(kind: str, key: str) -> dict | None:
        values = [i[key] for i in ok if i["kind"] == kind and i.get(key) is not None]
        if not values:
            return None
        return {"p50": round(statistics.median(values), 1), "max": round(max(values), 1),
                "n": len(values)}

    network = {}
    for kind in ("fetch", "form"):
        timed = [i["network"] for i in ok if i["kind"] == kind and i.get("network")]
        if timed:
            network[kind] = {phase: round(statistics.median(t[phase] for t in timed), 2)
                             for phase in PHASES}
    return {"chromium": version, "interactions": interactions,
            "failed": sum(not i.get("ok") for i in interactions),
            "after_load": sum(bool(i.get("ok") and not i.get("under_load")) for i in interactions),
            "inp_ms": figures("fetch", "inp_ms"), "shown_ms": figures("fetch", "shown_ms"),
            "lcp_ms": figures("form", "lcp_ms"), "network": network}
