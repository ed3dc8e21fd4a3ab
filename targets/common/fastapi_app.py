"""What every FastAPI target shares: settings, the store, `/health`, `/uploads/{id}`, `/page`
(targets/common/page.py; `HtmlAnswer` renders the form's answer), JSON errors in the
contract's shape (400 instead of FastAPI's 422), and an upload size limit.

FastAPI has no body limit of its own; `BodyLimit` is the small ASGI middleware a careful
engineer adds: 413 up front for a Content-Length over the limit, and 413 as soon as a chunked
body grows past it — without reading the rest into the app. The 413 keeps the connection
open: uvicorn then reads and drops the rest of the body (and closes after its keep-alive
timeout, 5 s without data), so a client still sending reads the 413 instead of a reset — a
lingering close, as nginx does. A declared body more than DISCARD_BOUND over the limit is
not worth reading: that answer closes the connection.
"""

from __future__ import annotations

import json
import shutil

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from targets.common import page
from targets.common.settings import Settings
from targets.common.store import UploadStore


def create_app(title: str) -> tuple[FastAPI, Settings, UploadStore]:
    settings = Settings.from_env()
    store = UploadStore(settings.data_dir)
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload)
    app.add_middleware(HtmlAnswer)  # outermost: renders BodyLimit's 413 too

    @app.get("/page")
    async def upload_page():
        return HTMLResponse(page.UPLOAD_PAGE)

    @app.get("/health")
    async def health():
        return {"ok": True}

    @app.get("/uploads/{upload_id}")
    async def status(upload_id: str):
        record = store.get(upload_id)
        return error(404, "unknown upload id") if record is None else record

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, exc: StarletteHTTPException):
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request, exc: RequestValidationError):
        fields = {str(e.get("loc", ["", "?"])[-1]) for e in exc.errors()}
        if "file" in fields:
            return error(400, "missing multipart field 'file' (or an empty filename)")
        return error(400, f"invalid request: {exc.errors()[:1]}")

    @app.exception_handler(ClientDisconnect)
    async def disconnected(request, exc):
        return error(400, "client disconnected before the body was complete")

    return app, settings, store


def error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)


DISCARD_BOUND = 32 << 20  # bytes over the limit uvicorn may read and drop after a 413


class BodyTooLarge(StarletteHTTPException):
    """An HTTPException, so that FastAPI's body parsing lets it through (it turns any other
    error inside a form parse into "400 There was an error parsing the body")."""

    def __init__(self, limit: int):
        super().__init__(413, f"upload larger than the limit of {limit} bytes")


class BodyLimit:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.isdigit():
                return await self._reply(send, 400, "bad Content-Length", close=True)
            if int(length) > self.max_bytes:
                # a client that waits for `100 Continue` holds its body back: hang up, so
                # that nothing it sends later is taken for a next request
                close = int(length) > self.max_bytes + DISCARD_BOUND or \
                    dict(scope["headers"]).get(b"expect", b"").lower() == b"100-continue"
                return await self._reply(send, 413, self._too_large(), close)
        received = 0
        started = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reply(send, 413, self._too_large())

    def _too_large(self) -> str:
        return f"upload larger than the limit of {self.max_bytes} bytes"

    @staticmethod
    async def _reply(send, status: int, reason: str, close: bool = False) -> None:
        """`close`: hang up after the answer (else uvicorn drops the unread rest of the body)."""
        body = json.dumps({"error": reason}).encode()
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status,
                    "headers": headers + ([(b"connection", b"close")] if close else [])})
        await send({"type": "http.response.body", "body": body})


class HtmlAnswer:
    """`POST /upload?answer=html` (the form on /page): the handler's JSON answer, status kept,
    sent as the landing page. The page is sent when the handler sends its last body message,
    so BackgroundTasks still run after the answer is out."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != "/upload" or not page.wants_html(
                scope.get("query_string", b"").decode()):
            return await self.app(scope, receive, send)
        status, chunks = 500, []

        async def render(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                body = page.answer(status, b"".join(chunks)).encode()
                await send({"type": "http.response.start", "status": status,
                            "headers": [(b"content-type", page.HTML.encode()),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, render)


def persist(src, path) -> int:
    """Copy an UploadFile's spooled file to its place (call it in the threadpool: file I/O must
    not block the event loop); returns the bytes written."""
    src.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
        return out.tell()
