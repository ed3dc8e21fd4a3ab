from targets.spec import Target

TARGET = Target(
    name="queued",
    seeds=("001",),
    summary="saves, enqueues a Celery task with the path; a Celery worker does the work (202)",
    app="targets.queued.app:app",
    acknowledges="accepted",
    services=("redis",),
    sidecars=("celery-worker",),
)
