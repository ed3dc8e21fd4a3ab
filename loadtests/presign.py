"""Direct-to-storage uploads (`--presign URL`): the app hands out a ticket, the client sends
the bytes straight to storage, then (optionally) tells the app it is done.

1. **ticket**: `POST` to the `--presign` URL with `{"filename", "size", "content_type"}` as
   JSON (and the run's headers and credentials: it is the app's endpoint);
2. **transfer**: what the ticket says — a presigned PUT (a URL, a method, headers to send as
   signed) or a presigned POST (a URL and form `fields`, the file last in field `file`, as S3
   wants it);
3. **complete** (when the ticket names one): a JSON call back to the app (its `json`, or
   `{"id": <the ticket's id>}`), with the run's headers.

Each step is timed (`ticket`, `transfer`, `complete`); the upload's latency is the whole.

The ticket's shape (upbench's own; `--presign-map KEY=/json/pointer` reads another):

    {"url": "https://bucket.s3.amazonaws.com/k?X-Amz-Signature=...",   (required)
     "method": "PUT",                       (default: PUT, or POST when there are fields)
     "headers": {"Content-Type": "image/jpeg"},           (sent with the transfer)
     "fields": {"key": "...", "policy": "...", ...},      (a presigned POST's form fields)
     "id": "42",                                          (the upload's id, for the results)
     "complete": {"url": "/uploads/42/complete", "method": "POST", "json": {...}}}

`complete` may also be a bare URL string. A relative `url` is on the app's own origin.
Nothing of gevent or Locust in here: it runs in a closed-loop user's OS thread too.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from loadtests.http import Connection, Exchange, is_2xx
from loadtests.multipart import CONTENT_TYPE, form_fields, multipart
from loadtests.payload import Body

TICKET_PATH = "/presign"  # where a reference target with the "presign" protocol hands them out


class TicketError(ValueError):
    """The app's answer is not a ticket upbench can follow: the message says why."""


@dataclass(frozen=True)
class Ticket:
    url: str
    method: str
    headers: dict
    fields: dict | None
    id: str | None
    complete: dict | None   # {"url", "method", "json"}


def pointer(doc, path: str):
    """RFC 6901: '/a/b/0' -> doc['a']['b'][0]; '' is the whole document. KeyError if absent."""
    if path == "":
        return doc
    for token in path[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


def read_ticket(reply: dict, mapping: dict[str, str]) -> Ticket:
    """The ticket in `reply`, each key read where `mapping` points (default: `/key`)."""
    def get(key: str):
        try:
            return pointer(reply, mapping.get(key, f"/{key}"))
        except (KeyError, IndexError, ValueError, TypeError):
            return None

    url = get("url")
    if not isinstance(url, str) or not url:
        raise TicketError(f"no upload URL in the ticket (at {mapping.get('url', '/url')})")
    fields, headers, complete = get("fields"), get("headers") or {}, get("complete")
    if fields is not None and not isinstance(fields, dict) or not isinstance(headers, dict):
        raise TicketError("the ticket's fields and headers must be JSON objects")
    if isinstance(complete, str):
        complete = {"url": complete}
    if complete is not None and not (isinstance(complete, dict) and complete.get("url")):
        raise TicketError("the ticket's complete must be a URL or {\"url\": ...}")
    method = str(get("method") or ("POST" if fields is not None else "PUT")).upper()
    ticket_id = get("id")
    return Ticket(url, method, {str(k): str(v) for k, v in headers.items()},
                  {str(k): str(v) for k, v in fields.items()} if fields is not None else None,
                  None if ticket_id is None else str(ticket_id), complete)


def split_url(url: str, app_origin: str) -> tuple[str, str]:
    """(origin, path with query) of a ticket URL; a relative one is on the app's origin."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme else app_origin
    return origin, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def presigned_upload(uploader, conn: Connection, body: Body, name: str,
                     start: float | None) -> tuple[Exchange, dict, dict]:
    """ticket -> transfer -> complete; (the upload as one exchange, the reply, phases)."""
    spec = uploader.spec
    content_type = spec.content_type or "application/octet-stream"
    asked = json.dumps({"filename": name, "size": body.size,
                        "content_type": content_type}).encode()
    headers = {**spec.request_headers(), "Content-Type": "application/json"}
    got = conn.request("POST", uploader.path, headers, [asked], start=start)
    reply = uploader.reply(got)
    if got.error or not spec.success(got.status):
        got.unsent = body.size  # refused at the ticket: not a byte of the file went out
        return got, reply, {}
    try:
        ticket = read_ticket(reply, dict(spec.ticket_map))
    except TicketError as exc:
        got.status, got.error = 0, f"presign: {exc}"
        return got, reply, {}
    phases = {"ticket": got.end - got.start}
    sent = _transfer(uploader, conn, ticket, body, name, content_type)
    phases["transfer"] = sent.end - sent.start if sent.end else None
    last, final = sent, {}
    if not sent.error and is_2xx(sent.status) and ticket.complete:
        last = _complete(uploader, conn, ticket)
        final = uploader.reply(last)
        phases["complete"] = last.end - last.start if last.end else None
    elif sent.error or not is_2xx(sent.status):
        sent.error = sent.error or f"storage answered {sent.status}"
    whole = Exchange(start=got.start, sent=sent.sent, ttfb=sent.ttfb, end=last.end,
                     status=last.status if last.status else 0, head=sent.head, body=last.body,
                     error=last.error or sent.error, connecting=got.connecting,
                     tls_handshaking=got.tls_handshaking)
    if whole.error and is_2xx(whole.status):
        whole.status = sent.status  # the transfer failed: its status, not the app's
    reply = {**({"id": ticket.id} if ticket.id else {}), **final}
    return whole, reply, phases


def _transfer(uploader, conn: Connection, ticket: Ticket, body: Body, name: str,
              content_type: str) -> Exchange:
    origin, path = split_url(ticket.url, origin_of(conn))
    storage = uploader.connection_to(origin, conn)
    headers = dict(ticket.headers)
    if ticket.fields is not None:  # presigned POST: the signed fields first, the file last
        parts, length = multipart(body, name, "file", content_type,
                                  fields=form_fields(tuple(ticket.fields.items())))
        headers["Content-Type"] = CONTENT_TYPE
    else:
        parts, length = body.parts, body.size
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = content_type
    began = time.time()
    ex = storage.request(ticket.method, path, headers, parts, length,
                         expect_continue=uploader.spec.continue_wait,
                         chunked=uploader.spec.chunked)
    ex.start = min(ex.start, began)
    return ex


def _complete(uploader, conn: Connection, ticket: Ticket) -> Exchange:
    call = ticket.complete
    origin, path = split_url(call["url"], origin_of(conn))
    target = uploader.connection_to(origin, conn)
    payload = call.get("json", {"id": ticket.id} if ticket.id else {})
    headers = {**uploader.spec.request_headers(), "Content-Type": "application/json"}
    return target.request(str(call.get("method", "POST")).upper(), path, headers,
                          [json.dumps(payload).encode()])



def origin_of(conn: Connection) -> str:
    return f"{'https' if conn.tls is not None else 'http'}://{conn.netloc}"
