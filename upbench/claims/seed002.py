"""Seed 002, "Background file processing in FastAPI"."""

from upbench.claims.experiments import LONG_TASKS
from upbench.claims.model import Claim, Ratio

CLAIMS = (
    Claim("background-tasks-immediate", "002",
          "File processing runs in background, allowing immediate response and better user "
          "experience.",
          "BackgroundTasks answers before the processing is done",
          ("fastapi-async", "fastapi-inline"), LONG_TASKS,
          Ratio("background", "inline", "latency_ms", "p50"), 0.5, "below",
          "the same UploadFile handler with the work in BackgroundTasks vs inline (the seed's "
          "own 'bad' version); 'immediate' = at most half the time to the answer"),
)
