from targets.common.hardening import AS_WRITTEN, SANITISED
from targets.spec import Target

TARGET = Target(
    name="flask-thread",
    seeds=("000", "004"),
    summary="reads the upload into memory, saves + works in a threading.Thread, answers 202",
    app="targets.flask_thread.app:app",
    acknowledges="accepted",
    completion="records",  # the harness reads <data>/<id>.json after the level
    body="request.files then .read()",
    hands_off="bytes to a thread",
    as_written="000: data = file.read(); threading.Thread(target=save_file_async, "
               "args=(data, filename)).start()",
    hardening=(*AS_WRITTEN, SANITISED),
    durable_at_ack=False,  # the thread writes the bytes after the 202
)
