from targets.common.hardening import AS_WRITTEN
from targets.spec import Target

TARGET = Target(
    name="seed001-stream",
    seeds=("001",),
    summary="seed 001's streaming snippet as written: request.files, then `for chunk in "
            "file.stream` to disk (201)",
    app="targets.seed001_stream.app:app",
    body="request.files then .stream",
    as_written="001: request.files.get('file'); for chunk in file.stream: f.write(chunk)",
    hardening=AS_WRITTEN,
    survey=False,
)
