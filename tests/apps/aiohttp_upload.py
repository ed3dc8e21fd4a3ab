"""An aiohttp multipart upload handler, the way aiohttp's docs write one (`request.multipart()`,
`reader.next()`, `field.read_chunk()`), for `python -m aiohttp.web tests.apps.aiohttp_upload:
make_app`. aiohttp (nobody here wrote it) answers `Expect: 100-continue` through the route's
`expect_handler`: here one that refuses a request without the token with 401 *instead of*
the 100, so the body is never sent — the case `--expect-continue` exists for.

    UPBENCH_AIOHTTP_DIR=/tmp/files python -m aiohttp.web -H 127.0.0.1 -P 8080 \\
        tests.apps.aiohttp_upload:make_app
"""

import hashlib
import os
import uuid
from pathlib import Path

from aiohttp import web

TOKEN = "Bearer s3cret"
CHUNK = 256 * 1024


async def check_token(request: web.Request):
    """aiohttp's default expect handler sends 100 Continue; this one refuses first."""
    if request.headers.get("Authorization") != TOKEN:
        raise web.HTTPUnauthorized(text='{"error": "token required"}',
                                   content_type="application/json")
    if request.version >= (1, 1) and request.headers.get("Expect", "").lower() == "100-continue":
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")


async def upload(request: web.Request) -> web.Response:
    if request.headers.get("Authorization") != TOKEN:
        return web.json_response({"error": "token required"}, status=401)
    reader = await request.multipart()
    field = await reader.next()
    while field is not None and field.name != "file":
        field = await reader.next()
    if field is None or not field.filename:
        return web.json_response({"error": "missing multipart field 'file'"}, status=400)
    name = f"{uuid.uuid4().hex}-{os.path.basename(field.filename)}"
    digest, size = hashlib.sha256(), 0
    with open(Path(os.environ["UPBENCH_AIOHTTP_DIR"]) / name, "wb") as out:
        while chunk := await field.read_chunk(CHUNK):
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return web.json_response({"id": name, "bytes": size, "sha256": digest.hexdigest()},
                             status=201)


def make_app(argv=None) -> web.Application:
    Path(os.environ["UPBENCH_AIOHTTP_DIR"]).mkdir(parents=True, exist_ok=True)
    app = web.Application()
    app.router.add_post("/upload", upload, expect_handler=check_token)
    return app
