"""Seed 002, "Background file processing in FastAPI"."""

from upbench.claims.experiments import HEAVY_PROCESSING
from upbench.claims.model import Claim, Ratio

CLAIMS = (
    Claim("background-tasks-immediate", "002",
          "File processing runs in background, allowing immediate response and better user "
          "experience.",
          "BackgroundTasks answers before the heavy processing is done",
          ("seed002-background", "seed002-inline"), HEAVY_PROCESSING,
          Ratio("background", "inline", "latency_ms", "p50"), 0.5, "below",
          "seed 002's two snippets as written (`content = await file.read()`, then "
          "heavy_processing — 100 ms of CPU — in BackgroundTasks or in the view) at the same "
          "arrivals on uvicorn; 'immediate' = at most half the time to the answer",
          as_written=("seed002-background", "seed002-inline"),
          differs_in=("hands_off", "acknowledges")),
    Claim("background-tasks-immediate-shipped", "002",
          "File processing runs in background, allowing immediate response and better user "
          "experience.",
          "BackgroundTasks as a careful engineer ships it (persist first, hand the task a path) "
          "answers before the heavy processing is done",
          ("fastapi-async", "fastapi-inline"), HEAVY_PROCESSING,
          Ratio("background-shipped", "inline-shipped", "latency_ms", "p50"), 0.5, "below",
          "the same UploadFile handler (the upload persisted in the threadpool first) with "
          "the 100 ms of CPU in BackgroundTasks or inline, at the same arrivals on uvicorn; "
          "'immediate' = at most half the time to the answer",
          differs_in=("hands_off", "acknowledges")),
)
