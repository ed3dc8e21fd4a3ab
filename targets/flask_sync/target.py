from targets.common.hardening import AS_WRITTEN, SANITISED
from targets.spec import Target

TARGET = Target(
    name="flask-sync",
    seeds=("000", "001"),
    summary="request.files['file'].save() then the work, in the request (201)",
    app="targets.flask_sync.app:app",
    server="gunicorn",
    worker_class="sync",
    as_written="000: file = request.files['file']; file.save('/tmp/' + file.filename) · "
               "001: the basic upload (secure_filename, file.save)",
    hardening=(*AS_WRITTEN, SANITISED),
)
