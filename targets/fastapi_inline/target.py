from targets.spec import Target

TARGET = Target(
    name="fastapi-inline",
    seeds=("002",),
    summary="the control of fastapi-async: the same UploadFile handler doing the work inline (201)",
    app="targets.fastapi_inline.app:app",
    view="async def",
    server="uvicorn",
    body="UploadFile",
)
