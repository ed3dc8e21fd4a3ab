"""One multipart upload over a Connection, shared by the Locust scenarios and `bench.py verify`."""

from __future__ import annotations

import json

from loadtests.http import Connection, Exchange
from loadtests.multipart import CONTENT_TYPE, multipart
from loadtests.payload import Body


def post_upload(conn: Connection, path: str, body: Body, filename: str,
                bandwidth: float | None = None, start: float | None = None,
                field: str = "file") -> tuple[Exchange, dict]:
    parts, length = multipart(body, filename, field)
    ex = conn.request("POST", path, {"Content-Type": CONTENT_TYPE}, parts, length,
                      bandwidth=bandwidth, start=start)
    return ex, parse_json(ex.body)


def parse_json(raw: bytes) -> dict:
    """JSON replies are optional (anyone's endpoint may answer text): {} when not a JSON object."""
    if raw.lstrip()[:1] != b"{":
        return {}  # cheap: otherwise every text reply raises and catches inside json.loads
    try:
        reply = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}
    return reply if isinstance(reply, dict) else {}
