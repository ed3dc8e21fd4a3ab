"""The seeds' claims, one entry each (one module per seed), with the experiments that judge
them. Pure declarations and statistics: judging reads stored results only (see
upbench/reporting/verdicts.py); running the experiments is upbench/run/claims_run.py."""

from __future__ import annotations

from upbench.claims import hidden, seed000, seed001, seed002, seed003, seed004, webvitals
from upbench.claims.model import Claim

# the seed articles' titles, for the report's "What it means" (by the seeds' numbers)
SEED_TITLES = {"000": "File upload processing in Flask",
               "001": "High-Performance File Upload and Management in Flask",
               "002": "Background file processing in FastAPI",
               "003": "Migrating to async Flask",
               "004": "Why background processing matters in Flask"}

CLAIMS: dict[str, Claim] = {c.id: c for module in (seed000, seed001, seed002, seed003, seed004,
                                                   hidden, webvitals) for c in module.CLAIMS}


class UnknownClaim(ValueError):
    pass


def select(spec: str | None) -> list[Claim]:
    """`None`/"" -> every claim; "a,b" -> those (unknown ids fail loudly)."""
    names = [n.strip() for n in (spec or "").split(",") if n.strip()]
    unknown = [n for n in names if n not in CLAIMS]
    if unknown:
        raise UnknownClaim(f"unknown claim(s): {', '.join(unknown)} (known: {', '.join(CLAIMS)})")
    return [CLAIMS[n] for n in names] if names else list(CLAIMS.values())
