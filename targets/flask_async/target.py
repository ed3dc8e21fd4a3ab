from targets.common.hardening import AS_WRITTEN, STORES_UPLOAD
from targets.spec import Target

TARGET = Target(
    name="flask-async",
    seeds=("003",),
    summary="async def view awaiting its I/O, on gunicorn sync workers as the seed deploys it",
    app="targets.flask_async.app:app",
    view="async def",
    as_written="003: async def index(): await asyncio.sleep(2), on gunicorn sync workers",
    hardening=(STORES_UPLOAD + " (file.save in asyncio.to_thread)", *AS_WRITTEN),
)
