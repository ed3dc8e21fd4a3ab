from targets.spec import Target

TARGET = Target(
    name="s3-presigned",
    seeds=("001",),
    summary="hands out presigned S3 URLs; the client uploads straight to storage, then says "
            "it is done (201)",
    app="targets.s3_presigned.app:app",
    protocols=("upload", "presign"),
    services=("s3",),
    survey=False,  # judges no claim: the default run stays as it was (compare it with `run`)
)
