from targets.spec import Target

TARGET = Target(
    name="fastapi-async",
    seeds=("002",),
    summary="UploadFile + BackgroundTasks: saved to disk, work in a background task, answers 202",
    app="targets.fastapi_async.app:app",
    server="uvicorn",
    acknowledges="accepted",
)
