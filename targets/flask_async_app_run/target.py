"""flask-async's app on `app.run()`: how seed 003 serves its async route (Werkzeug's threaded
development server, one process). Same app code as flask-async; only the launch differs."""

from targets.common.hardening import AS_WRITTEN, STORES_UPLOAD
from targets.spec import Target

TARGET = Target(
    name="flask-async-app-run",
    seeds=("003",),
    summary="flask-async's view on Werkzeug's threaded app.run() server, as seed 003 runs it",
    app="targets.flask_async.app:app",
    view="async def",
    server="werkzeug",
    as_written="003: async def index(): await asyncio.sleep(2) ... app.run()",
    hardening=(STORES_UPLOAD + " (file.save in asyncio.to_thread)", *AS_WRITTEN),
    survey=False,
)
