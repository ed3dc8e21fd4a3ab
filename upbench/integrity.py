"""Did every acknowledged upload arrive whole? Checked after each load level, then cleaned up.

- the digest the server reported (201 reply, or the final status of a 202) against the one the
  client expected — for every acknowledged upload;
- in storage, for our own targets: every acknowledged upload must be there with all its bytes
  (else *lost*); a random spot-check of them is hashed again (mismatch: *corrupt*);
- an acknowledged upload whose work never finished (still `accepted`, or `failed`) but whose
  bytes are there is *unfinished*, not lost.
"""

from __future__ import annotations

import random

from upbench.storage import Storage

SPOT_CHECKS = 16


def acknowledged(samples: list[dict]) -> list[dict]:
    """Acknowledged = the server said 2xx, whatever happened after (a 202 whose work never
    completed still counts: it was promised)."""
    return [s for s in samples if s["kind"] == "upload" and s["status"]
            and 200 <= s["status"] < 300]


def unchecked(samples: list[dict]) -> dict:
    """The integrity block of a level whose storage could not be read: nothing is claimed
    lost or corrupt; only the server-reported digests are compared."""
    acked = acknowledged(samples)
    return {"acknowledged": len(acked), "verified": sum(
                1 for s in acked if s["server_sha256"] and s["server_sha256"] == s["expected_sha256"]),
            "lost": 0, "corrupt": sum(
                1 for s in acked if s["server_sha256"] and s["server_sha256"] != s["expected_sha256"]),
            "unfinished": 0, "disk_checked": 0, "storage_error": True}


def check(samples: list[dict], storage: Storage | None, spot_checks: int = SPOT_CHECKS) -> dict:
    acked = acknowledged(samples)
    corrupt = {id(s) for s in acked
               if s["server_sha256"] and s["server_sha256"] != s["expected_sha256"]}
    verified = {id(s) for s in acked
                if s["server_sha256"] and s["server_sha256"] == s["expected_sha256"]}
    lost: set[int] = set()
    unfinished = 0
    disk_checked = 0
    if storage is not None:
        present = {}
        for s in acked:
            if not s["upload_id"]:
                continue
            record = storage.record(s["upload_id"])
            if record is None or storage.size(record) != s["bytes"]:
                lost.add(id(s))
                continue
            present[id(s)] = (s, record)
            unfinished += record.get("status") not in ("stored", "processed")
        for key in random.sample(sorted(present), min(spot_checks, len(present))):
            s, record = present[key]
            disk_checked += 1
            if storage.sha256(record) == s["expected_sha256"]:
                verified.add(key)
            else:
                corrupt.add(key)
                verified.discard(key)
    verified -= lost
    return {"acknowledged": len(acked), "verified": len(verified), "lost": len(lost),
            "corrupt": len(corrupt - lost), "unfinished": unfinished,
            "disk_checked": disk_checked}
