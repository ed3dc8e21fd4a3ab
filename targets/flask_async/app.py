"""flask-async — seed 003: "migrate to async Flask".

An `async def` view that awaits its I/O: the save runs in a thread (`asyncio.to_thread`), a
`sleep:MS` work is `await asyncio.sleep`. Deployed as the seed would be — gunicorn sync
workers, `app.run` style — where Flask runs each async view in an event loop of its own
inside the worker thread (asgiref). Nothing else can run on that worker meanwhile, so the
report can show what `async def` alone buys: no extra concurrency, some overhead.
"""

import asyncio

from flask import request

from targets.common.flask_app import create_app, error, file_field_problem

app, settings, store = create_app(__name__)


@app.post("/upload")
async def upload():
    file = request.files.get("file")
    if problem := file_field_problem(file):
        return error(400, problem)
    stored = store.new(file.filename)
    try:
        await asyncio.to_thread(file.save, stored.path)
        size = stored.path.stat().st_size
        sha256 = await settings.work.arun(stored.path)
    except BaseException:
        store.discard(stored)
        raise
    return store.save(stored, "stored", size, sha256), 201
