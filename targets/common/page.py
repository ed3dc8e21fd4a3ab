"""`GET /page` and the page a form upload lands on: the same markup for every target.

The upload page offers the two ways real apps upload, from one file input: a classic
`<form method=post enctype=multipart/form-data>` (a navigation; it posts to
`/upload?answer=html`) and a `fetch()` upload that shows "uploading…" at once and the result
when it arrives. Everything else keeps the JSON contract: only `/upload?answer=html` answers
HTML — the target's own JSON answer (record or error, same status code) rendered by `answer()`
into a small page whose largest element is the result (what the browser claims read as LCP).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from string import Template

PAGES = Path(__file__).parent / "pages"
UPLOAD_PAGE = (PAGES / "upload.html").read_text(encoding="utf-8")
_ANSWER = Template((PAGES / "answer.html").read_text(encoding="utf-8"))
HTML = "text/html; charset=utf-8"


def wants_html(query: str) -> bool:
    """The form's `?answer=html` (a query flag, not Accept: browsers' fetch() and upbench's
    client must keep getting JSON)."""
    return "answer=html" in query.split("&")


def answer(status: int, body: bytes) -> str:
    """The landing page for a JSON answer of `/upload` (a record or `{"error"}`)."""
    try:
        record = json.loads(body)
    except ValueError:
        record = {"error": body.decode("utf-8", "replace")[:200]}
    if not isinstance(record, dict):
        record = {"error": str(record)[:200]}
    if 200 <= status < 300:
        headline = (f"Upload {record.get('status', 'done')}: {record.get('filename', '?')}, "
                    f"{record.get('bytes', '?')} bytes")
    else:
        headline = f"Upload failed ({status}): {record.get('error', 'unknown error')}"
    return _ANSWER.substitute(title=html.escape(headline[:60]), headline=html.escape(headline),
                              status=str(status),
                              record=html.escape(json.dumps(record, indent=1)))
