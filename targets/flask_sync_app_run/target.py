"""flask-sync's app on `app.run()`: how seed 003 serves its sync route (Werkzeug's threaded
development server, one process). Same app code as flask-sync; only the launch differs."""

from targets.common.hardening import AS_WRITTEN, STORES_UPLOAD
from targets.spec import Target

TARGET = Target(
    name="flask-sync-app-run",
    seeds=("003",),
    summary="flask-sync's view on Werkzeug's threaded app.run() server, as seed 003 runs it",
    app="targets.flask_sync.app:app",
    server="werkzeug",
    as_written="003: def index(): time.sleep(2) ... app.run()",
    hardening=(STORES_UPLOAD, *AS_WRITTEN),
    survey=False,
)
