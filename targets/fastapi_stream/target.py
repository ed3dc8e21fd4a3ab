from targets.spec import Target

TARGET = Target(
    name="fastapi-stream",
    seeds=(),
    summary="request.stream() + python-multipart's streaming parser straight to disk (201, bounded memory)",
    app="targets.fastapi_stream.app:app",
    view="async def",
    server="uvicorn",
    body="request.stream",
)
