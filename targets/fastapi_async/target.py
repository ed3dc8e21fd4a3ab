from targets.spec import Target

TARGET = Target(
    name="fastapi-async",
    seeds=("002",),
    summary="UploadFile + BackgroundTasks: saved to disk, work in a background task, answers 202",
    app="targets.fastapi_async.app:app",
    view="async def",
    server="uvicorn",
    body="UploadFile",
    hands_off="path to BackgroundTasks",
    acknowledges="accepted",
    completion="records",  # the harness reads <data>/<id>.json after the level
)
