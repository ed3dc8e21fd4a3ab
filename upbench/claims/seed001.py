"""Seed 001, "High-Performance File Upload and Management in Flask"."""

from upbench.claims.experiments import LONG_TASKS, MEMORY, RESUME, SIZE_ONLY
from upbench.claims.model import Claim, MemorySlope, Ratio, Survival

CLAIMS = (
    Claim("basic-loads-whole-file", "001",
          "However, this method loads the entire file into memory, which is inefficient for "
          "large files.",
          "request.files + save() holds the whole upload in memory",
          ("flask-sync",), MEMORY, MemorySlope("sync-8MB", "sync-32MB"), 0.5, "above",
          SIZE_ONLY +
          "a server holding each upload in memory grows by ~1 MB per MB in flight; "
          "'loads the entire file' = at least 0.5", unit=" MB/MB",
          as_written=("flask-sync",), differs_in=("size",), about_saturation=True),
    Claim("streaming-flat-memory", "001",
          "This writes the file in chunks, preventing excessive memory usage.",
          "The seed's streaming snippet keeps server memory flat as uploads grow",
          ("seed001-stream",), MEMORY, MemorySlope("seed-stream-8MB", "seed-stream-32MB"),
          0.25, "below", SIZE_ONLY + "'flat' = less than 0.25 MB of growth per MB in flight",
          unit=" MB/MB", as_written=("seed001-stream",), differs_in=("size",),
          about_saturation=True,
          notes=("Judged on the seed's snippet as written: it reads request.files first, so "
                 "Werkzeug parses (and spools to disk past 500 KB) the whole body before the "
                 "'streaming' loop runs; streaming-flat-memory-shipped judges flask-stream, "
                 "which parses request.stream incrementally.",)),
    Claim("streaming-flat-memory-shipped", "001",
          "This writes the file in chunks, preventing excessive memory usage.",
          "Streaming as a careful engineer ships it (request.stream, incremental parser) keeps "
          "server memory flat",
          ("flask-stream",), MEMORY, MemorySlope("stream-8MB", "stream-32MB"), 0.25, "below",
          SIZE_ONLY + "'flat' = less than 0.25 MB of growth per MB in flight",
          unit=" MB/MB", differs_in=("size",), about_saturation=True),
    Claim("chunked-survives-drops", "001",
          "This reduces network failures and allows resumable uploads.",
          "Chunked (tus) uploads complete whole after their connection is cut",
          ("resumable",), RESUME, Survival("tus"), 0.9, "above",
          "of the uploads cut at least once, the share that completed with every byte intact; "
          "'survives' = at least 90 %", unit="",
          notes=("Judged on tus (the resumable target), not the seed's part-file scheme, "
                 "which has no way to learn what the server holds after a cut. A plain POST "
                 "retried from zero survives per-request cuts too, given retries: "
                 "chunked-resends-less compares the two under the same drops.",)),
    Claim("chunked-resends-less", "001",
          "This reduces network failures and allows resumable uploads.",
          "Chunked (tus) uploads send fewer bytes than a plain POST retried from zero",
          ("resumable",), RESUME, Ratio("tus", "plain", "resume", "bytes_sent_per_upload"),
          0.75, "below",
          "body bytes sent per upload (what arrived plus what was sent twice) under the same "
          "drops, to the same server: tus resumes from the server's offset, the plain POST "
          "starts over (each repetition shows both arms' time to finish, p50); the plain POST "
          "may retry until it finishes (tus needs no more than its 4: its delays start over "
          "after progress); 'reduces' = at least 25 % fewer bytes",
          differs_in=("scenario", "retry_delays")),
    Claim("celery-keeps-api-fast", "001",
          "This prevents API slowdowns by delegating file processing to Celery.",
          "Handing the processing to Celery keeps the upload API fast",
          ("queued", "flask-sync"), LONG_TASKS,
          Ratio("queued", "sync", "latency_ms", "p50"), 0.5, "below",
          "a 300 ms processing step done by a Celery worker vs in the request, both saving "
          "with request.files on the same 2 gunicorn workers at the same arrivals, below the "
          "pool's capacity (each repetition shows the completion p50 beside the answer's); "
          "'prevents slowdowns' = at most half the time to the answer",
          as_written=("queued",), differs_in=("hands_off", "acknowledges")),
)
