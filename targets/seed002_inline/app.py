"""seed002-inline — seed 002's "bad" snippet, as written: the control of seed002-background.

    content = await file.read()
    result = heavy_processing(content)
    return {'status': 'done', 'result': result}

The same read into memory, then the seed's `heavy_processing` (a plain `def`) called right in
the `async def`: it runs on the event loop and blocks it for its whole time, as the seed
writes it. It writes the bytes and does the work (`--work`). Changes, only those running it
needs (targets/common/hardening.py): a folder per upload, a size limit, the JSON contract
(201), a record.
"""

from fastapi import UploadFile
from fastapi.responses import JSONResponse

from targets.common.fastapi_app import create_app, error
from targets.common.store import Upload

app, settings, store = create_app(__name__)


def heavy_processing(upload: Upload, content: bytes) -> str | None:
    with open(upload.path, "wb") as f:
        f.write(content)
    return settings.work.run(upload.path)


@app.post("/upload")
async def upload(file: UploadFile):
    if not file.filename:
        return error(400, "empty filename in field 'file'")
    content = await file.read()
    stored = store.new(file.filename)
    try:
        sha256 = heavy_processing(stored, content)
    except BaseException:
        store.discard(stored)
        raise
    return JSONResponse(store.save(stored, "stored", len(content), sha256), status_code=201)
