from targets.common.hardening import AS_WRITTEN
from targets.spec import Target

TARGET = Target(
    name="queued",
    seeds=("001",),
    summary="saves, enqueues a Celery task with the path; a Celery worker does the work (202)",
    app="targets.queued.app:app",
    acknowledges="accepted",
    completion="records",  # the harness reads <data>/<id>.json after the level
    services=("redis",),
    sidecars=("celery-worker",),
    hands_off="path to a Celery task",
    as_written="001: file.save(file_path); process_uploaded_file.delay(file_path)",
    hardening=AS_WRITTEN,
)
