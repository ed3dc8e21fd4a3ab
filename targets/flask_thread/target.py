from targets.spec import Target

TARGET = Target(
    name="flask-thread",
    seeds=("000", "004"),
    summary="reads the upload into memory, saves + works in a threading.Thread, answers 202",
    app="targets.flask_thread.app:app",
    acknowledges="accepted",
    durable_at_ack=False,  # the thread writes the bytes after the 202
)
