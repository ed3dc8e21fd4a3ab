"""The changes an "as written" target makes to a seed's snippet, because running it at all (in
parallel, under the harness's contract) needs them. Each target lists those it makes in its
spec (`Target.hardening`), and the report shows them beside every claim judged on it."""

UNIQUE_NAMES = ("a folder of its own per upload (<data>/<id>/<name>): parallel uploads of one "
                "file name do not overwrite each other")
SIZE_LIMIT = "an upload size limit: 413 with a JSON reason"
SANITISED = "the client's file name through secure_filename (seed 000 writes '/tmp/' + filename)"
CONTRACT = ("a JSON answer (id, bytes, sha256) instead of the seed's text, and 400 with a JSON "
            "reason for a missing field or an empty file name")
RECORD = ("a status record per upload (<data>/<id>.json), written when it is done: "
          "GET /uploads/<id>, and how the harness learns completion")
STORES_UPLOAD = ("the upload is stored (the seed's route takes none; the contract needs one), "
                 "then its I/O wait (--work sleep:MS) as the seed's sleep")

AS_WRITTEN = (UNIQUE_NAMES, SIZE_LIMIT, CONTRACT, RECORD)
