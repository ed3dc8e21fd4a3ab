"""Seed 001, "High-Performance File Upload and Management in Flask"."""

from upbench.claims.experiments import LONG_TASKS, MEMORY, RESUME
from upbench.claims.model import Claim, MemorySlope, Ratio, Survival

CLAIMS = (
    Claim("basic-loads-whole-file", "001",
          "However, this method loads the entire file into memory, which is inefficient for "
          "large files.",
          "request.files + save() holds the whole upload in memory",
          ("flask-sync",), MEMORY, MemorySlope("sync-8MB", "sync-32MB"), 0.5, "above",
          "a server holding each upload in memory grows by ~1 MB per MB in flight; "
          "'loads the entire file' = at least 0.5", unit=" MB/MB"),
    Claim("streaming-flat-memory", "001",
          "This writes the file in chunks, preventing excessive memory usage.",
          "Streaming the upload to disk keeps server memory flat as uploads grow",
          ("flask-stream",), MEMORY, MemorySlope("stream-8MB", "stream-32MB"), 0.25, "below",
          "'flat' = less than 0.25 MB of growth per MB in flight",
          unit=" MB/MB",
          notes=("Judged on flask-stream, the corrected pattern: the seed's own snippet reads "
                 "request.files first, which has Werkzeug parse (and spool) the whole body "
                 "before the 'streaming' loop runs.",)),
    Claim("chunked-survives-drops", "001",
          "This reduces network failures and allows resumable uploads.",
          "Chunked (tus) uploads complete whole after their connection is cut",
          ("resumable",), RESUME, Survival("tus"), 0.9, "above",
          "of the uploads cut at least once, the share that completed with every byte intact; "
          "'survives' = at least 90 %", unit=""),
    Claim("celery-keeps-api-fast", "001",
          "This prevents API slowdowns by delegating file processing to Celery.",
          "Handing the processing to Celery keeps the upload API fast",
          ("queued", "flask-sync"), LONG_TASKS,
          Ratio("queued", "sync", "latency_ms", "p50"), 0.5, "below",
          "a 300 ms processing step done by a Celery worker vs in the request; 'prevents "
          "slowdowns' = at most half the time to the answer"),
)
