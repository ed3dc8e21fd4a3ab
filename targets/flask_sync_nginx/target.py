"""flask-sync behind nginx: gunicorn's own advice for sync workers ("we strongly advise that
you use Nginx"), because nginx reads the whole request body before it hands the request on
(proxy_request_buffering on), so a slow client never holds a sync worker. Same app code and
server as flask-sync; only the front differs (config: upbench/lifecycle/front.py)."""

from targets.common.hardening import AS_WRITTEN, SANITISED
from targets.spec import Target

TARGET = Target(
    name="flask-sync-nginx",
    seeds=("000",),
    summary="flask-sync on gunicorn sync workers behind a buffering nginx proxy",
    app="targets.flask_sync.app:app",
    front="nginx",
    as_written="000: file.save('/tmp/' + file.filename), behind a buffering proxy",
    hardening=(*AS_WRITTEN, SANITISED),
    survey=False,
)
