"""The Celery side of `queued` (seed 001: "use Celery for background file processing").

Broker and result backend: a real Redis server (`REDIS_URL`; the harness starts an embedded
one). Configured as a careful engineer would for work that must not be lost: `acks_late` (a
task is acknowledged only once done, so a worker killed mid-task does not lose it),
`task_reject_on_worker_lost`, prefetch 1 (long tasks don't queue behind each other in one
worker), and a Redis visibility timeout of a minute, after which an unacknowledged task is
delivered again (the default hour would hide a crash for an hour).
"""

import os

from celery import Celery

from targets.common.settings import Settings
from targets.common.store import UploadStore

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
settings = Settings.from_env()
store = UploadStore(settings.data_dir)

celery = Celery("upbench-queued", broker=REDIS_URL, backend=REDIS_URL)
celery.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_default_queue=os.environ.get("UPBENCH_QUEUE", "upbench"),
    broker_transport_options={"visibility_timeout": 60},
    broker_connection_retry_on_startup=True,
    result_expires=3600,
)


@celery.task(name="upbench.process_upload")
def process_uploaded_file(upload_id: str, file_path: str) -> str:
    record = store.get(upload_id)
    if record is None:
        raise ValueError(f"no record for upload {upload_id}")
    upload = store.upload(record)
    if str(upload.path) != file_path:  # the path comes from our own app; refuse anything else
        raise ValueError(f"path {file_path!r} is not the stored path of upload {upload_id}")
    try:
        sha256 = settings.work.run(upload.path)
    except Exception as exc:
        store.save(upload, "failed", record["bytes"], None, error=str(exc))
        raise
    store.save(upload, "processed", record["bytes"], sha256)
    return f"Processed file {file_path}"
