"""tuspyserver (PyPI: a tus 1.0 server as a FastAPI router), mounted the way its README shows,
for `uvicorn tests.apps.tus_server:app`. A third-party tus server: nobody here wrote it.

    UPBENCH_TUS_DIR=/tmp/files [UPBENCH_TUS_LOCK_TIMEOUT_S=1] uvicorn tests.apps.tus_server:app

What it does after a cut PATCH (tuspyserver 4.4): it keeps the bytes that arrived, but the
PATCH that follows blocks its event loop for up to 30 s waiting for the upload's file lock
(`tuspyserver.lock.DEFAULT_LOCK_TIMEOUT`; a HEAD meanwhile waits too), answers 503 "timed out
waiting for lock", and then the upload resumes fine. A client must retry past that (upbench
does, with tus-js-client's delays); the report shows the recovery time. The router has no
option for that timeout: `UPBENCH_TUS_LOCK_TIMEOUT_S` lowers the default of
`acquire_upload_lock` (bound when it was defined; request.py calls it without one), so the
test suite need not wait 30 s per cut.
"""

import os

from fastapi import FastAPI
from tuspyserver import create_tus_router
from tuspyserver import lock as tus_lock

if os.environ.get("UPBENCH_TUS_LOCK_TIMEOUT_S"):  # (locks_dir, blocking, timeout)
    acquire = tus_lock.acquire_upload_lock.__wrapped__  # under its @contextmanager
    locks_dir, blocking, _ = acquire.__defaults__
    acquire.__defaults__ = (locks_dir, blocking, float(os.environ["UPBENCH_TUS_LOCK_TIMEOUT_S"]))

app = FastAPI()
app.include_router(create_tus_router(prefix="files", files_dir=os.environ["UPBENCH_TUS_DIR"]))
