"""Did every acknowledged upload arrive whole? Checked after each load level, then cleaned up.

- what the server said it stored against what the client sent, for every acknowledged upload:
  a sha256 (our targets' 201 reply or final status; anyone's JSON `sha256`), else an ETag that
  verify found to be the body's MD5 (S3-like endpoints), else a byte count (a JSON `bytes`,
  a tus server's final Upload-Offset: the size is checked, not the contents);
- in storage, for our own targets: every acknowledged upload must be there with all its bytes
  (else *lost*); a random spot-check of them is hashed again (mismatch: *corrupt*);
- an acknowledged upload whose work never finished (still `accepted`, or `failed`) but whose
  bytes are there is *unfinished*, not lost.

An upload is counted *verified* only on a digest (or our re-hash); an endpoint that returns
none gets "unverified: the endpoint returns no digest" — never "verified".
"""

from __future__ import annotations

import random

from loadtests.http import is_2xx
from upbench.measure.storage import Storage

SPOT_CHECKS = 16
NO_DIGEST = "unverified: the endpoint returns no digest"
SIZE_ONLY = "sizes checked (the endpoint returns a byte count), contents unverified"


def acknowledged(samples: list[dict]) -> list[dict]:
    """Acknowledged = the server said 2xx, whatever happened after (a 202 whose work never
    completed still counts: it was promised)."""
    return [s for s in samples if s["kind"] == "upload" and is_2xx(s["status"])]


def _judge(s: dict, etag_md5: bool) -> str:
    """'verified', 'corrupt', 'sized' (byte count only) or 'unverified', from the answer."""
    if s["server_sha256"]:
        return "verified" if s["server_sha256"] == s["expected_sha256"] else "corrupt"
    if s.get("server_md5") and s.get("expected_md5"):
        if s["server_md5"] == s["expected_md5"]:
            return "verified"
        if etag_md5:  # verify saw this ETag be the body's MD5: a different one is damage
            return "corrupt"
    size = s.get("server_bytes")
    if size is not None:
        return "sized" if size == s["bytes"] else "corrupt"
    return "unverified"


def unchecked(samples: list[dict], etag_md5: bool = False) -> dict:
    """The integrity block of a level whose storage could not be read: nothing is claimed
    lost or corrupt; only the server-reported digests are compared."""
    judged = [_judge(s, etag_md5) for s in acknowledged(samples)]
    return {"acknowledged": len(judged), "verified": judged.count("verified"), "lost": 0,
            "corrupt": judged.count("corrupt"), "unfinished": 0, "disk_checked": 0,
            "storage_error": True}


def check(samples: list[dict], storage: Storage | None, spot_checks: int = SPOT_CHECKS,
          etag_md5: bool = False) -> dict:
    """`etag_md5`: verify found the endpoint's ETag to be the body's MD5, so an ETag that
    differs means damage; otherwise only an ETag that matches counts (as verified)."""
    acked = acknowledged(samples)
    judged = {id(s): _judge(s, etag_md5) for s in acked}
    corrupt = {k for k, v in judged.items() if v == "corrupt"}
    verified = {k for k, v in judged.items() if v == "verified"}
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
    out = {"acknowledged": len(acked), "verified": len(verified), "lost": len(lost),
           "corrupt": len(corrupt - lost), "unfinished": unfinished,
           "disk_checked": disk_checked}
    if storage is None:  # anyone's endpoint: say what the answers could and could not prove
        sized = sum(1 for k, v in judged.items() if v == "sized" and k not in verified)
        out["size_only"] = sized
        out["unverified"] = sum(1 for k, v in judged.items() if v == "unverified")
        out["note"] = NO_DIGEST if out["unverified"] else SIZE_ONLY if sized else None
    return out
