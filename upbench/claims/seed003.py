"""Seed 003, "Migrating to async Flask"."""

from upbench.claims.experiments import IO_CONCURRENCY
from upbench.claims.model import BusyPerWorker, Claim, Ratio

CLAIMS = (
    Claim("async-flask-concurrency", "003",
          "Async route uses await to pause without blocking the event loop, allowing other "
          "requests to be served simultaneously.",
          "Async Flask serves more requests at once",
          ("flask-async", "flask-sync"), IO_CONCURRENCY,
          Ratio("async", "sync", "throughput", "rps"), 1.5, "above",
          "uploads/s with 8 users whose handler awaits a 300 ms wait, on the same gunicorn "
          "sync workers the seed deploys it on; 'simultaneously' = at least 1.5x the requests"),
    Claim("sync-one-at-a-time", "003",
          "Handles 1 request at a time",
          "A sync Flask worker serves one request at a time",
          ("flask-sync",), IO_CONCURRENCY, BusyPerWorker("sync"), 1.5, "below",
          "Little's law with 4 users per worker waiting on I/O: 1.0 = one at a time; "
          "'1 at a time' = fewer than 1.5 in service per worker", unit=" per worker"),
)
