"""Seed 000, "File upload processing in Flask": offload the save to a thread.

Both snippets run as written (flask-sync: `file.save(...)` in the request; flask-thread:
`data = file.read()`, a thread writes it, 202), with no work beyond the save — the seed's
code does none. The seed's fix changes three things at once, and the arms differ in exactly
those: the bytes are read into memory, handed to a thread, and the answer is a 202.
"""

from upbench.claims.experiments import BYSTANDERS, MEMORY
from upbench.claims.model import Claim, Ratio

THREAD_FIX = ("body", "hands_off", "acknowledges")  # what the seed's own fix changes
AS_WRITTEN = ("flask-thread", "flask-sync")
SAME_SERVER = ("the same Werkzeug parsing (request.files) on the same 2 gunicorn sync workers "
               "at the same open-loop arrivals; only the save's place differs (in the "
               "request, or in a thread after file.read() and a 202)")

CLAIMS = (
    Claim("thread-answers-faster", "000",
          "Offloads file saving to a background thread, freeing the server to respond quickly",
          "Saving in a background thread answers faster than saving in the request",
          AS_WRITTEN, BYSTANDERS,
          Ratio("thread", "sync", "latency_ms", "p50"), 0.8, "below",
          f"upload latency p50 with {SAME_SERVER}; 'quickly' = at least 20 % less time to the "
          "answer", as_written=AS_WRITTEN, differs_in=THREAD_FIX),
    Claim("thread-frees-other-requests", "000",
          "freeing the server to respond quickly and handle other requests",
          "Other requests wait less beside thread-offloaded uploads than beside sync ones",
          AS_WRITTEN, BYSTANDERS,
          Ratio("thread", "sync", "bystander_ms", "p90"), 0.8, "below",
          f"bystanders' p90 with {SAME_SERVER}; 'frees' = at least 20 % less wait",
          as_written=AS_WRITTEN, differs_in=THREAD_FIX),
    Claim("thread-more-throughput", "000",
          "Non-blocking upload handling improves INP and server throughput.",
          "A background thread gives more uploads per second than saving in the request",
          AS_WRITTEN, MEMORY,
          Ratio("thread-8MB", "sync-8MB", "throughput", "rps"), 1.1, "above",
          "uploads/s of 2 closed-loop users (the server's 2 sync workers) sending 8 MB, the "
          "save in the request or in a thread, each on a fresh server; 'improves' = at least "
          "10 % more (INP: the browser claims)",
          as_written=AS_WRITTEN, differs_in=THREAD_FIX, about_saturation=True),
    Claim("sync-blocks-others", "000",
          "Blocks server request handling during file save, increasing response time and INP.",
          "Saving in the request makes other requests wait longer than saving in a thread",
          AS_WRITTEN, BYSTANDERS,
          Ratio("sync", "thread", "bystander_ms", "p90"), 1.25, "above",
          f"bystanders' p90 beside sync saves against beside the seed's own fix, {SAME_SERVER}: "
          "if the save is what blocks, moving it out of the request shortens the wait; "
          "'blocks' = at least 1.25x (the mirror of thread-frees-other-requests' 0.8)",
          as_written=AS_WRITTEN, differs_in=THREAD_FIX),
)
