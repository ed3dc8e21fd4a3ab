"""What a real browser sees of an upload: INP of the click, LCP of the page a form lands on,
and the upload request's timing as DevTools' Network panel shows it — in headless Chromium.

Driver: Playwright (PyPI `playwright`), chosen because it is well kept, has a plain sync
Python API, launches an *existing* Chromium (`executable_path`: the system's `chromium`, or
`--browser PATH`) so nothing is downloaded — `playwright install` is never needed — and opens
raw DevTools-protocol sessions for what its API does not expose (the Network panel's timing).
Its clicks are real input events (CDP `Input.dispatchMouseEvent`: `isTrusted`), which Event
Timing requires. It is imported lazily, with an install hint, so the rest of upbench runs
without it. Playwright launches Chromium without its sandbox (which refuses to run as root).

Measured per interaction, each on a freshly loaded page (so the click is the page's first
input, and no state carries over):
- INP: the longest Event Timing entry of the click's interaction (a PerformanceObserver on
  `event`, buffered, `durationThreshold` 16 — the smallest allowed — plus the `first-input`
  entry, which is reported whatever its duration). One interaction per page, so INP is that
  interaction's latency: from the input to the next paint.
- shown: from the click to the result shown on the page (the fetch() upload's wait).
- LCP: the last `largest-contentful-paint` entry of the page the form lands on. Its clock
  starts when that navigation starts (the click), so it includes the upload and the server.
- network: the upload request's phases under the Network panel's names, from the CDP
  `Network.*` events' `timing` object (DevTools' own arithmetic: Queueing = issue to
  `requestTime`; Stalled = to the first of DNS/connect/send start; Request sent = sendStart to
  sendEnd; Waiting (TTFB) = sendEnd to the response headers; Content Download = to
  `loadingFinished`).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = "no Chromium found: apt-get install chromium (or give --browser PATH)"
DRIVER_HINT = "the browser claims need Playwright's Python package: pip install playwright"
PHASES = ("queueing", "stalled", "dns_lookup", "initial_connection", "request_sent",
          "waiting", "content_download")
PHASE_NAMES = {"queueing": "Queueing", "stalled": "Stalled", "dns_lookup": "DNS Lookup",
               "initial_connection": "Initial connection", "request_sent": "Request sent",
               "waiting": "Waiting (TTFB)", "content_download": "Content Download"}
EVENT_THRESHOLD_MS = 16  # Event Timing's smallest durationThreshold

# Runs in every document before its own scripts: the observers must be there before the click.
OBSERVERS = """(() => {
  const u = window.__upbench = {events: [], lcp: [], clickAt: null, shownAt: null};
  const observe = (type, options, each) => {
    try { new PerformanceObserver(list => list.getEntries().forEach(each))
            .observe({type, buffered: true, ...options}); } catch (e) {}
  };
  observe("event", {durationThreshold: THRESHOLD}, e => {
    if (e.interactionId) u.events.push({name: e.name, duration: e.duration}); });
  observe("first-input", {}, e => u.events.push({name: e.name, duration: e.duration}));
  observe("largest-contentful-paint", {}, e => u.lcp.push(e.startTime));
  addEventListener("click", e => { if (u.clickAt === null) u.clickAt = e.timeStamp; }, true);
  new MutationObserver(() => {
    const state = document.getElementById("status")?.dataset.state;
    if (u.shownAt === null && (state === "done" || state === "failed")) u.shownAt = performance.now();
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ["data-state"]});
})();""".replace("THRESHOLD", str(EVENT_THRESHOLD_MS))

INP_JS = "() => { const d = window.__upbench.events.map(e => e.duration); " \
         "return d.length ? Math.max(...d) : null; }"
NEXT_FRAME_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


class BrowserUnavailable(RuntimeError):
    """No Chromium, or no driver library: the browser claims are `not measured`, never an error."""


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium to drive: `explicit` (--browser PATH) or the first on PATH."""
    if explicit:
        path = shutil.which(explicit) or (explicit if os.access(explicit, os.X_OK) else None)
        if path is None:
            raise BrowserUnavailable(f"--browser {explicit}: not an executable")
        return path
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    raise BrowserUnavailable(INSTALL_HINT)


def random_file(folder: Path, size: int) -> Path:
    """Random bytes (never zeros) of the level's size, written once per size."""
    path = folder / f"upload-{size}.bin"
    if not path.exists() or path.stat().st_size != size:
        with open(path, "wb") as out:
            for start in range(0, size, 1 << 20):
                out.write(os.urandom(min(1 << 20, size - start)))
    return path


class Browser:
    """One headless Chromium for many interactions (a launch costs a second or two)."""

    def __init__(self, executable: str, timeout_s: float = 30.0):
        self.executable = executable
        self.timeout_ms = timeout_s * 1000
        self._playwright: Any = None
        self._browser: Any = None

    def __enter__(self) -> Browser:
        try:
            from playwright.sync_api import Error as PlaywrightError
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise BrowserUnavailable(DRIVER_HINT)
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=self.executable, headless=True, timeout=self.timeout_ms)
        except PlaywrightError as exc:  # it exited, or never answered: not a usable browser
            self._playwright.stop()
            raise BrowserUnavailable(f"{self.executable} did not start: "
                                     f"{str(exc).splitlines()[0]}")
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._browser.close()
        finally:
            self._playwright.stop()

    @property
    def version(self) -> str:
        return self._browser.version

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A fresh browser context (no cache, no cookies) with one page, for many interactions:
        each loads its page anew, so a new page per interaction would only add a renderer start."""
        context = self._browser.new_context()
        try:
            page = context.new_page()
            page.add_init_script(OBSERVERS)
            yield Session(page, NetworkLog(context.new_cdp_session(page)), self.timeout_ms)
        finally:
            context.close()


class Session:
    """Interactions on one page: each navigates first, so every click is a document's first."""

    def __init__(self, page, network: NetworkLog, timeout_ms: float):
        self.page, self.network, self.timeout_ms = page, network, timeout_ms

    def upload_fetch(self, base_url: str, file: Path) -> dict:
        """Choose `file`, click "Upload (fetch)", wait for the result on the page."""
        def act(page):
            page.click("#fetch")
            page.wait_for_selector("#status[data-state=done], #status[data-state=failed]",
                                   timeout=self.timeout_ms)
            page.wait_for_function("() => window.__upbench.events.length > 0",
                                   timeout=self.timeout_ms)
            click, shown, state = page.evaluate(
                "() => [window.__upbench.clickAt, window.__upbench.shownAt, "
                "document.getElementById('status').dataset.state]")
            return {"inp_ms": page.evaluate(INP_JS), "shown_ms": round(shown - click, 1),
                    "ok": state == "done"}
        return self._upload("fetch", base_url, file, act)

    def upload_form(self, base_url: str, file: Path) -> dict:
        """Choose `file`, submit the form, and read LCP of the page it lands on."""
        def act(page):
            with page.expect_navigation(wait_until="load", timeout=self.timeout_ms):
                page.click("#submit")
            page.wait_for_function("() => window.__upbench.lcp.length > 0",
                                   timeout=self.timeout_ms)
            page.evaluate(NEXT_FRAME_JS)  # a later, larger candidate would be painted by now
            lcp = page.evaluate("() => Math.max(...window.__upbench.lcp)")
            status = page.get_attribute("#answer", "data-status") or ""
            return {"lcp_ms": lcp, "ok": status.startswith("2")}
        return self._upload("form", base_url, file, act)

    def click_inp(self, url: str, selector: str) -> float | None:
        """INP of one click on `selector` of any page (the known-truth tests' pages)."""
        self.page.goto(url, wait_until="load", timeout=self.timeout_ms)
        self.page.click(selector)
        self.page.evaluate(NEXT_FRAME_JS)
        self.page.wait_for_function("() => window.__upbench.events.length > 0",
                                    timeout=self.timeout_ms)
        return self.page.evaluate(INP_JS)

    def _upload(self, kind: str, base_url: str, file: Path, act) -> dict:
        from playwright.sync_api import Error as PlaywrightError

        began = time.monotonic()
        self.network.upload = {}
        try:
            self.page.goto(f"{base_url}/page", wait_until="load", timeout=self.timeout_ms)
            self.page.set_input_files("#file", str(file))
            record = {"kind": kind, **act(self.page)}
            record["network"] = self.network.upload_phases(self.page, self.timeout_ms / 1000)
        except PlaywrightError as exc:  # a timeout or a crashed page: this interaction failed
            record = {"kind": kind, "ok": False, "error": str(exc).splitlines()[0][:300]}
        record["wall_s"] = round(time.monotonic() - began, 3)
        return record


class NetworkLog:
    """The CDP `Network.*` events of the `POST /upload` request, and its phases from them."""

    def __init__(self, cdp):
        self.upload: dict = {}
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.send("Network.enable")

    def _sent(self, event: dict) -> None:
        request = event["request"]
        if request["method"] == "POST" and request["url"].split("?")[0].endswith("/upload"):
            self.upload = {"id": event["requestId"], "issued": event["timestamp"]}

    def _response(self, event: dict) -> None:
        if event["requestId"] == self.upload.get("id"):
            self.upload["timing"] = event["response"].get("timing")

    def _finished(self, event: dict) -> None:
        if event["requestId"] == self.upload.get("id"):
            self.upload["finished"] = event["timestamp"]

    def upload_phases(self, page, timeout_s: float) -> dict | None:
        deadline = time.monotonic() + timeout_s
        while "finished" not in self.upload and time.monotonic() < deadline:
            page.wait_for_timeout(10)  # lets Playwright deliver the pending CDP events
        if not self.upload.get("timing") or "finished" not in self.upload:
            return None
        return devtools_phases(self.upload["issued"], self.upload["timing"],
                               self.upload["finished"])


def devtools_phases(issued: float, timing: dict, finished: float) -> dict:
    """The Network panel's Timing tab from a CDP ResourceTiming (offsets in ms from
    `requestTime`, seconds; -1 = did not happen) and the events' timestamps (seconds)."""
    def span(start: str, end: str) -> float:
        a, b = timing.get(start, -1), timing.get(end, -1)
        return max(0.0, b - a) if a >= 0 and b >= 0 else 0.0

    began = [timing[k] for k in ("dnsStart", "connectStart", "sendStart") if timing.get(k, -1) >= 0]
    headers = timing.get("receiveHeadersStart", -1)
    headers = headers if headers > 0 else timing["receiveHeadersEnd"]
    total = (finished - timing["requestTime"]) * 1000
    phases = {"queueing": max(0.0, (timing["requestTime"] - issued) * 1000),
              "stalled": min(began) if began else 0.0,
              "dns_lookup": span("dnsStart", "dnsEnd"),
              "initial_connection": span("connectStart", "connectEnd"),
              "request_sent": span("sendStart", "sendEnd"),
              "waiting": max(0.0, headers - timing["sendEnd"]),
              "content_download": max(0.0, total - headers)}
    return {k: round(v, 2) for k, v in phases.items()}
