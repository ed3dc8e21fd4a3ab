from targets.spec import Target

TARGET = Target(
    name="flask-sync",
    seeds=("000", "001"),
    summary="request.files['file'].save() then the work, in the request (201)",
    app="targets.flask_sync.app:app",
    server="gunicorn",
    worker_class="sync",
)
