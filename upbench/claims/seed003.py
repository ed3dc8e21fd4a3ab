"""Seed 003, "Migrating to async Flask". Judged where the seed runs it — `app.run()`,
Werkzeug's threaded server — and on gunicorn sync workers, the usual production deployment."""

from upbench.claims.experiments import IO_CONCURRENCY
from upbench.claims.model import BusyPerWorker, Claim, Ratio

CONCURRENCY = ("Async route uses await to pause without blocking the event loop, allowing other "
               "requests to be served simultaneously.")

CLAIMS = (
    Claim("async-flask-concurrency", "003", CONCURRENCY,
          "Async Flask serves more requests at once (gunicorn sync workers)",
          ("flask-async", "flask-sync"), IO_CONCURRENCY,
          Ratio("async", "sync", "throughput", "rps"), 1.5, "above",
          "uploads/s with 8 users whose handler waits 300 ms, async def vs def on the same "
          "gunicorn sync workers; 'simultaneously' = at least 1.5x the requests",
          as_written=("flask-async", "flask-sync"), differs_in=("view",)),
    Claim("async-flask-concurrency-app-run", "003", CONCURRENCY,
          "Async Flask serves more requests at once (app.run(), as the seed runs it)",
          ("flask-async-app-run", "flask-sync-app-run"), IO_CONCURRENCY,
          Ratio("async-app-run", "sync-app-run", "throughput", "rps"), 1.5, "above",
          "the same comparison on Werkzeug's threaded app.run() server, the seed's own "
          "deployment (a thread per request)",
          as_written=("flask-async-app-run", "flask-sync-app-run"), differs_in=("view",)),
    Claim("sync-one-at-a-time", "003",
          "Handles 1 request at a time",
          "A sync Flask worker serves one request at a time (gunicorn sync workers)",
          ("flask-sync",), IO_CONCURRENCY, BusyPerWorker("sync"), 1.5, "below",
          "Little's law with 4 users per worker waiting on I/O: 1.0 = one at a time; "
          "'1 at a time' = fewer than 1.5 in service per worker", unit=" per worker",
          as_written=("flask-sync",)),
    Claim("sync-one-at-a-time-app-run", "003",
          "Handles 1 request at a time",
          "A sync Flask app serves one request at a time (app.run(), as the seed runs it)",
          ("flask-sync-app-run",), IO_CONCURRENCY, BusyPerWorker("sync-app-run", workers=1),
          1.5, "below",
          "Little's law with 8 users on the one app.run() process: 1.0 = one at a time; "
          "'1 at a time' = fewer than 1.5 in service", unit=" per worker",
          as_written=("flask-sync-app-run",)),
)
