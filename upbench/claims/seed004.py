"""Seed 004, "Why background processing matters in Flask": a long task ("sending emails or
processing images") in a thread. Its view takes no upload; flask-thread runs the same shape
(start a thread, answer at once) with the upload handed to it, and the task (`--work`) after
the write. Both kinds the seed names: an I/O wait and CPU work."""

from upbench.claims.experiments import HEAVY_PROCESSING, LONG_TASKS
from upbench.claims.model import Claim, Ratio

QUOTE = ("Starts the long task in the background, immediately responding to the user and "
         "freeing the server.")
THREAD_FIX = ("body", "hands_off", "acknowledges")

CLAIMS = (
    Claim("thread-long-task-instant", "004", QUOTE,
          "A long I/O task (sending emails) in a background thread answers at once",
          ("flask-thread", "flask-sync"), LONG_TASKS,
          Ratio("thread", "sync", "latency_ms", "p50"), 0.5, "below",
          "a 300 ms wait in a thread vs in the request, same server, same arrivals below "
          "capacity; 'immediately' = at most half the time",
          as_written=("flask-thread", "flask-sync"), differs_in=THREAD_FIX),
    Claim("thread-long-task-instant-cpu", "004", QUOTE,
          "A long CPU task (processing images) in a background thread answers at once",
          ("flask-thread", "flask-sync"), HEAVY_PROCESSING,
          Ratio("thread", "sync", "latency_ms", "p50"), 0.5, "below",
          "100 ms of CPU in a thread vs in the request, same server, same arrivals: the "
          "thread shares the worker's GIL with the answer; 'immediately' = at most half",
          as_written=("flask-thread", "flask-sync"), differs_in=THREAD_FIX),
)
