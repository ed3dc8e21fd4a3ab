"""Seed 004, "Why background processing matters in Flask"."""

from upbench.claims.experiments import LONG_TASKS
from upbench.claims.model import Claim, Ratio

CLAIMS = (
    Claim("thread-long-task-instant", "004",
          "Starts the long task in the background, immediately responding to the user and "
          "freeing the server.",
          "A long task in a background thread answers at once",
          ("flask-thread", "flask-sync"), LONG_TASKS,
          Ratio("thread", "sync", "latency_ms", "p50"), 0.5, "below",
          "a 300 ms task in a thread vs in the request; 'immediately' = at most half the time"),
)
