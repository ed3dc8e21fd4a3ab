"""Seed 000, "File upload processing in Flask": offload the save to a thread."""

from upbench.claims.experiments import BYSTANDERS, THREAD_VS_SYNC
from upbench.claims.model import Claim, Ratio

CLAIMS = (
    Claim("thread-answers-faster", "000",
          "Offloads file saving to a background thread, freeing the server to respond quickly",
          "Saving in a background thread answers faster than saving in the request",
          ("flask-thread", "flask-sync"), THREAD_VS_SYNC,
          Ratio("thread", "sync", "latency_ms", "p50"), 0.8, "below",
          "same parser and work on both sides; 'quickly' = at least 20 % less time to the answer"),
    Claim("thread-frees-other-requests", "000",
          "freeing the server to respond quickly and handle other requests",
          "Other requests wait less beside thread-offloaded uploads than beside sync ones",
          ("flask-thread", "flask-sync"), BYSTANDERS,
          Ratio("thread", "sync", "bystander_ms", "p90"), 0.8, "below",
          "bystanders' p90 beside the same 8 uploading users; 'frees' = at least 20 % less wait"),
    Claim("thread-more-throughput", "000",
          "Non-blocking upload handling improves INP and server throughput.",
          "A background thread gives more uploads per second than saving in the request",
          ("flask-thread", "flask-sync"), BYSTANDERS,
          Ratio("thread", "sync", "throughput", "rps"), 1.1, "above",
          "uploads/s of the same 8 users; 'improves' = at least 10 % more"),
    Claim("sync-blocks-others", "000",
          "Blocks server request handling during file save, increasing response time and INP.",
          "Sync uploads make other requests wait",
          ("flask-sync",), BYSTANDERS,
          Ratio("sync", "idle", "bystander_ms", "p90"), 3.0, "above",
          "bystanders' p90 beside 8 uploading users against the same server unloaded; "
          "'blocks' = at least 3x the unloaded wait"),
)
