"""Scenario names -> Locust user classes and what each scenario needs, importable without
Locust (the orchestrator reads it). upbench/run/ reads these fields; it never tests a name.

A new scenario is a new class in `loadtests/scenarios.py` plus one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

BYSTANDERS = 2  # BystanderUser.fixed_count: GET /health users beside the uploads
# Beside slow clients a probe waits for a slow body to end, ~1 probe per bystander per level:
# a level needs many bystanders to count the claims' minimum sample (30 probes).
SLOW_BYSTANDERS = 16


@dataclass(frozen=True)
class Scenario:
    name: str
    classes: tuple[str, ...]
    summary: str
    needs: tuple[str, ...] = ("upload",)  # target protocols it needs ("upload", "tus")
    upload_path: str = "/upload"          # on our targets; with --url, the URL's own path
    bystanders: int = 0                   # BystanderUser instances beside the uploads (/health)
    uploads: bool = True                  # False: bystanders alone (an unloaded baseline)
    own_server: bool = False              # needs a server upbench runs (it kills it)
    poll_timeout: float = 60.0            # seconds a 202 upload may take to complete
    over_limit: bool = False              # its sizes are over --max-upload (rejections)

    @property
    def needs_health(self) -> bool:
        return self.bystanders > 0


SCENARIOS = {s.name: s for s in (
    Scenario("upload", ("UploadUser",), "closed-loop users doing multipart POSTs"),
    Scenario("mixed", ("UploadUser", "BystanderUser"),
             "upload users plus bystanders doing GET /health: does uploading block others?",
             bystanders=BYSTANDERS),
    Scenario("idle", ("BystanderUser",),
             "bystanders alone, no uploads: the unloaded baseline of GET /health",
             bystanders=BYSTANDERS, uploads=False),
    Scenario("slow", ("SlowUploadUser",),
             "uploads paced to a per-user bandwidth (--bandwidth, a phone on 4G)"),
    Scenario("slow-mixed", ("SlowUploadUser", "BystanderUser"),
             "slow uploads beside bystanders doing GET /health: do slow clients hold workers?",
             bystanders=SLOW_BYSTANDERS),
    Scenario("retry-from-zero", ("RetryUploadUser",),
             "plain POSTs cut like the resumable scenario's chunks, retried from byte zero: "
             "its control"),
    Scenario("resumable", ("TusUploadUser",),
             "tus uploads in chunks, a fraction of connections cut mid-chunk and resumed",
             needs=("tus",), upload_path="/files/"),
    Scenario("oversize", ("OversizeUser",),
             "bodies over --max-upload: time to the rejection, bytes sent before it, and "
             "whether the client read the 413 or got a reset", over_limit=True),
    # work a crash dropped never completes: don't wait a minute for it
    Scenario("crash", ("UploadUser",),
             "uploads while the target is SIGKILLed mid-run and restarted: what was lost?",
             own_server=True, poll_timeout=15.0),
)}
