"""Costs the seeds never mention, judged like their claims. The quote is the seed's code that
carries the cost."""

from upbench.claims.experiments import BYSTANDERS, MEMORY, SIZE_ONLY, SLOW_CLIENTS
from upbench.claims.model import AckGap, Claim, MemorySlope, Ratio

CLAIMS = (
    Claim("thread-holds-uploads-in-memory", "000 (hidden cost)",
          "data = file.read()\nthreading.Thread(target=save_file_async, args=(data, filename))",
          "The thread pattern holds every upload in flight in memory",
          ("flask-thread",), MEMORY, MemorySlope("thread-8MB", "thread-32MB"), 0.5, "above",
          SIZE_ONLY +
          "the bytes are handed to the thread, so the worker holds them until it has written "
          "them; 'holds' = at least 0.5 MB of growth per MB in flight", unit=" MB/MB",
          as_written=("flask-thread",), differs_in=("size",), about_saturation=True),
    Claim("thread-acks-before-durable", "000 (hidden cost)",
          "threading.Thread(target=save_file_async, args=(data, filename)).start()\n"
          "return 'Upload started'",
          "The thread pattern acknowledges an upload before it is on disk",
          ("flask-thread",), BYSTANDERS, AckGap("thread"), 1.0, "above",
          "time from the 202 to the record saying the bytes are written (read from the "
          "server's records after the level, not polled): an acknowledged upload that a crash "
          "in that window loses; 'before' = more than 1 ms",
          unit=" ms", as_written=("flask-thread",)),
    Claim("sync-slow-client-blocks", "000 (hidden cost)",
          "file.save('/tmp/' + file.filename)",
          "Slow clients hold sync workers, and other requests wait",
          ("flask-sync", "flask-sync-nginx"), SLOW_CLIENTS,
          Ratio("direct", "proxied", "bystander_ms", "p90"), 3.0, "above",
          "bystanders' p90 beside 4 clients sending at 1 MB/s, straight to the sync workers "
          "(which read the slow body inside request.files) against the same app and workers "
          "behind nginx, which reads the body first: only the body's reader differs; "
          "'hold' = at least 3x the wait",
          as_written=("flask-sync",), differs_in=("front",)),
)
