from targets.spec import Target

TARGET = Target(
    name="s3",
    seeds=("001",),
    summary="streams the upload to an S3-compatible endpoint with boto3 (201, bounded memory)",
    app="targets.s3.app:app",
    services=("s3",),
    body="request.stream",
)
