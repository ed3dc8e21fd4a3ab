from targets.common.hardening import AS_WRITTEN
from targets.spec import Target

TARGET = Target(
    name="seed002-background",
    seeds=("002",),
    summary="seed 002's BackgroundTasks snippet as written: `content = await file.read()`, "
            "the bytes handed to the task (202)",
    app="targets.seed002_background.app:app",
    view="async def",
    server="uvicorn",
    acknowledges="accepted",
    completion="records",  # the harness reads <data>/<id>.json after the level
    body="UploadFile then .read()",
    hands_off="bytes to BackgroundTasks",
    as_written="002: content = await file.read(); "
               "background_tasks.add_task(heavy_processing, content)",
    hardening=AS_WRITTEN,
    survey=False,
)
