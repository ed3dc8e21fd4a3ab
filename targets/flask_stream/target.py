from targets.spec import Target

TARGET = Target(
    name="flask-stream",
    seeds=("001",),
    summary="multipart parsed incrementally from request.stream straight to disk (201, bounded memory)",
    app="targets.flask_stream.app:app",
    server="gunicorn",
    worker_class="sync",
    body="request.stream",
)
