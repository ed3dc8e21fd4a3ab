from targets.common.hardening import AS_WRITTEN
from targets.spec import Target

TARGET = Target(
    name="seed002-inline",
    seeds=("002",),
    summary="seed 002's 'bad' snippet as written: `content = await file.read()`, then "
            "heavy_processing(content) in the async view (201)",
    app="targets.seed002_inline.app:app",
    view="async def",
    server="uvicorn",
    body="UploadFile then .read()",
    as_written="002: content = await file.read(); result = heavy_processing(content)",
    hardening=AS_WRITTEN,
    survey=False,
)
