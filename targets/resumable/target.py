from targets.spec import Target

TARGET = Target(
    name="resumable",
    seeds=("001",),
    summary="tus 1.0 (core + creation) under /files/: chunks written at their offset, no merge",
    app="targets.resumable.app:app",
    protocols=("upload", "tus"),
    body="tus",
)
