"""fastapi-inline — seed 002's "bad" snippet, the control for fastapi-async.

The same `UploadFile` handler as fastapi-async (Starlette parses the body into a spooled
file; it is persisted in the threadpool), but the work (seed: `result = heavy_processing(...)`)
is called right in the `async def` before answering, as the seed writes it — no
`BackgroundTasks`. The two targets differ in that one factor only, so "BackgroundTasks gives
an immediate response" is judged against it. Answers 201 with the final record.
"""

from fastapi import UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from targets.common.fastapi_app import create_app, error, persist

app, settings, store = create_app(__name__)


@app.post("/upload")
async def upload(file: UploadFile):
    if not file.filename:
        return error(400, "empty filename in field 'file'")
    stored = store.new(file.filename)
    try:
        size = await run_in_threadpool(persist, file.file, stored.path)
        sha256 = settings.work.run(stored.path)  # the seed's heavy_processing(), inline
    except BaseException:
        store.discard(stored)
        raise
    return JSONResponse(store.save(stored, "stored", size, sha256), status_code=201)
