from targets.spec import Target

TARGET = Target(
    name="flask-async",
    seeds=("003",),
    summary="async def view awaiting its I/O, on gunicorn sync workers as the seed deploys it",
    app="targets.flask_async.app:app",
)
