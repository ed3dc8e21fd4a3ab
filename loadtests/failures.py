"""When uploads fail: how a user backs off, and how a level's failures are said in one line.

Pure (no Locust, no gevent): the scenarios, the web UI tab, the aggregation and the reports all
import it, so the terminal, results.json, the report and the live UI say the same sentence.

- `Backoff`: a user whose request failed waits before it tries again — BASE_S doubling up to
  CAP_S, reset by a success — so a wrong path or a dead server cannot turn the generator into
  a flood (a tus user against a server without tus made 2 760 failed requests/s). The wait is
  Locust's wait between tasks: inside no request's timing, and a stop ends it at once.
- `warning`: above WARN_SHARE of a level's uploads failed -> {"share", "top_error", "hint",
  "text"}, e.g. "97 % of uploads failed: 404 Not Found on /upload — is the path right?".
  The share counts attempts; with the backoff a failing user makes few of them, so a level
  where some users fail all the time may stay under the threshold — its failures are still
  counted in the result's `failures` and `errors`.
"""

from __future__ import annotations

from http import HTTPStatus

BASE_S = 0.05     # first wait after a failure
CAP_S = 2.0       # longest wait between two failed attempts of one user
WARN_SHARE = 0.05  # more than this share of a level's uploads failed: say so, judge no claim on it
MOSTLY_FAILED = 0.5  # a level this broken is left out of every "fastest"/"best" line

_REFUSED = "connection refused"
_TIMEOUT = "timeout"
_RESET = "connection closed by the server"
_PLAIN = {  # error kinds (see `kind`) that are an exception name, in words
    "ConnectionRefusedError": _REFUSED, "TimeoutError": _TIMEOUT, "BlockingIOError": _TIMEOUT,
    "ConnectionResetError": _RESET, "BrokenPipeError": _RESET, "no response": "no response",
}
HINTS = {
    400: "does the endpoint take a multipart form with the file in field 'file'?",
    401: "does it need credentials?",
    403: "does it need credentials, or other permissions?",
    404: "is the path right?",
    405: "does that path take POST?",
    411: "does it refuse bodies with a Content-Length?",
    413: "the server's upload limit is below the upload size",
    415: "does it take multipart/form-data?",
    429: "the server is rate-limiting: fewer users, or a lower rate",
    502: "a proxy could not reach the app: is the app running?",
    503: "the server is overloaded or not ready: fewer users, or more workers",
    504: "a proxy timed out waiting for the app",
    _REFUSED: "is the server running on that host and port?",
    _TIMEOUT: "the server did not answer in time: overloaded or hung?",
    _RESET: "the server closed the connection: a crash, a size limit, or a proxy?",
    "tus": "the tus upload did not complete: does that path speak tus 1.0 (core + creation)?",
}


class Backoff:
    """The wait after a user's failed attempt: `pause` is 0 after a success, else BASE_S
    doubling per consecutive failure up to CAP_S. A success costs two attribute stores."""

    __slots__ = ("pause", "_next")

    def __init__(self) -> None:
        self.pause = 0.0
        self._next = BASE_S

    def success(self) -> None:
        self.pause = 0.0
        self._next = BASE_S

    def failure(self) -> None:
        self.pause = self._next
        self._next = min(self._next * 2, CAP_S)

    def record(self, ok: bool) -> None:
        self.success() if ok else self.failure()


def kind(error: str | None, status: int | None) -> str:
    """A sample's error as a short kind that counts alike: "http 404", "ConnectionRefusedError",
    "send: BrokenPipeError" (failed while sending), "tus" (details after the first colon go)."""
    err = error or f"http {status}"
    head, _, rest = err.partition(":")
    if head == "send" and rest:
        return f"send: {rest.strip().split(':')[0]}"
    return head.strip()


def describe(error_kind: str) -> str:
    """"http 404" -> "404 Not Found"; "ConnectionRefusedError" -> "connection refused"."""
    name = error_kind.removeprefix("send: ")
    if name.startswith("http "):
        try:
            code = HTTPStatus(int(name[5:]))
            return f"{code.value} {code.phrase}"
        except ValueError:
            return name
    words = _PLAIN.get(name, name)
    return f"{words} while sending" if error_kind.startswith("send: ") else words


def hint(error_kind: str) -> str | None:
    name = error_kind.removeprefix("send: ")
    if name.startswith("http "):
        try:
            code = int(name[5:])
        except ValueError:
            return None
        return HINTS.get(code) or ("the server failed: see its log" if code >= 500 else None)
    return HINTS.get(_PLAIN.get(name, name))


def share(requests: int, failures: int) -> float:
    return failures / requests if requests else 0.0


def too_many_failed(requests: int, failures: int) -> bool:
    """More than WARN_SHARE of a level's uploads failed: it carries a warning, and no claim is
    judged from it (a 5 % failure rate already bends a latency or a throughput ratio)."""
    return share(requests, failures) > WARN_SHARE


def mostly_failed(result: dict) -> bool:
    """A result whose uploads mostly failed (or never ran: errors and no upload): its few
    successes say nothing about speed. Bystanders alone (no upload, no error) are not."""
    if not result["requests"]:
        return bool(result["errors"])
    return share(result["requests"], result["failures"]) > MOSTLY_FAILED


def warning(requests: int, failures: int, errors: dict[str, int], path: str,
            expected: str | None = None) -> dict | None:
    """The warning for a level (None when at most WARN_SHARE failed). `errors` counts error
    kinds; `path` is where the uploads went; `expected` replaces the hint when the failures
    were caused on purpose (the crash scenario kills the target)."""
    if not errors or (requests and not too_many_failed(requests, failures)):
        return None
    top = max(errors, key=lambda k: (errors[k], k))
    ratio = share(requests, failures) if requests else 1.0
    advice = expected or hint(top)
    others = len(errors) - 1
    text = ((f"{ratio * 100:.0f} % of uploads failed" if requests else "no upload was made")
            + f": {describe(top)} on {path}"
            + (f" (and {others} other kind{'s' if others > 1 else ''} of error)" if others else "")
            + (f" — {advice}" if advice else ""))
    return {"share": round(ratio, 4), "top_error": top, "hint": advice, "text": text}
