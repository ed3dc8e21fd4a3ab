"""Scenario names -> Locust user classes, importable without Locust (the orchestrator reads it).

A new scenario is a new class in `loadtests/scenarios.py` plus one line here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    name: str
    classes: tuple[str, ...]
    summary: str
    needs: tuple[str, ...] = ("upload",)  # target protocols it needs


SCENARIOS = {s.name: s for s in (
    Scenario("upload", ("UploadUser",), "closed-loop users doing multipart POSTs"),
    Scenario("mixed", ("UploadUser", "BystanderUser"),
             "upload users plus bystanders doing GET /health: does uploading block others?"),
    Scenario("slow", ("SlowUploadUser",),
             "uploads paced to a per-user bandwidth (--bandwidth, a phone on 4G)"),
    Scenario("resumable", ("TusUploadUser",),
             "tus uploads in chunks, a fraction of connections cut mid-chunk and resumed",
             needs=("tus",)),
    Scenario("crash", ("UploadUser",),
             "uploads while the target is SIGKILLed mid-run and restarted: what was lost?"),
)}
