"""The summary at the top of the report: who wins where, and who loses data — each with its
number. Derived from the results alone, like everything in the report."""

from __future__ import annotations

from loadtests import failures
from loadtests.units import format_size
from upbench.claims.model import growth_mb
from upbench.reporting.labels import level_label, result_label


def summarize(doc: dict) -> list[str]:
    """Compares results at the run's own --work only (a claims run also has levels with a long
    task), and the first repetition of a repeated level. A level whose uploads mostly failed is
    never anyone's "fastest": its few successes are left out and named."""
    work = (doc.get("config") or {}).get("work")
    comparable = [r for r in doc["results"] if r.get("work", work) == work
                  and (r.get("repetition") or 1) == 1]
    rs = [r for r in comparable
          if r["requests"] and r["latency_ms"] and not failures.mostly_failed(r)]
    lines = [_failed_levels(doc)]
    upload = [r for r in rs if r["scenario"] == "upload" and r["load"]["model"] == "closed"]
    if upload:
        sizes = sorted({r["size_bytes"] for r in upload})
        lines.append(_fastest("Small files", upload, sizes[0]))
        if len(sizes) > 1:
            lines.append(_fastest("Large files", upload, sizes[-1], by="mbps"))
        top = max(r["load"]["users"] for r in upload)
        many = [r for r in upload if r["load"]["users"] == top and r["size_bytes"] == sizes[0]]
        if top > min(r["load"]["users"] for r in upload):
            best = min(many, key=lambda r: r["latency_ms"]["p99"])
            worst = max(many, key=lambda r: r["latency_ms"]["p99"])
            lines.append(f"Many users ({top}, {format_size(sizes[0])}): tail latency p99 "
                         + (f"{best['latency_ms']['p99']:.0f} ms at {best['target']}."
                            if best is worst else
                            f"lowest for {best['target']} ({best['latency_ms']['p99']:.0f} ms), "
                            f"highest for {worst['target']} ({worst['latency_ms']['p99']:.0f} ms)."))
    slow = [r for r in rs if r["scenario"] == "slow"]
    if slow:
        best = max(slow, key=lambda r: r["throughput"]["rps"])
        worst = min(slow, key=lambda r: r["throughput"]["rps"])
        lines.append(f"Slow clients ({_bw(doc)} per user, {best['load']['users']} users): "
                     f"{best['target']} kept {best['throughput']['rps']:.1f} uploads/s going "
                     f"(p50 {best['latency_ms']['p50']:.0f} ms); {worst['target']} managed "
                     f"{worst['throughput']['rps']:.1f}/s (p50 {worst['latency_ms']['p50']:.0f} ms).")
    mixed = [r for r in rs if r.get("bystander_ms")]
    if mixed:
        top = max(r["load"]["users"] or 0 for r in mixed)
        mixed = [r for r in mixed if (r["load"]["users"] or 0) == top]
        worst = max(mixed, key=lambda r: r["bystander_ms"]["p99"])
        best = min(mixed, key=lambda r: r["bystander_ms"]["p99"])
        lines.append(f"Bystanders (GET /health beside uploads): p99 {best['bystander_ms']['p99']:.0f} ms "
                     f"beside {best['target']}, {worst['bystander_ms']['p99']:.0f} ms beside "
                     f"{worst['target']}.")
    memory = [r for r in comparable if growth_mb(r) is not None]
    if memory:
        # growth over the level's own baseline: a process's resting footprint (a Celery
        # worker's, an interpreter's) is not a cost of the uploads
        big = max(memory, key=growth_mb)
        lines.append(f"Memory: uploads grew {big['target']}'s RSS the most, by "
                     f"{growth_mb(big):.0f} MB over its {big['server']['rss_baseline_mb']:.0f} MB "
                     f"at rest ({big['scenario']}, {format_size(big['size_bytes'])}, "
                     f"{level_label(big['load'])}).")
    lines.extend(_resuming(doc))
    lines.append(_rejections(doc))
    lines.extend(_outside_integrity(doc))
    lines.append(_data_loss(doc))
    return [line for line in lines if line]


def _failed_levels(doc: dict) -> str:
    broken = [r for r in doc["results"] if failures.mostly_failed(r)]
    if not broken:
        return ""
    return ("Left out of the comparisons below (most of their uploads failed): " + "; ".join(
        f"{r['target']} ({r['scenario']}, {result_label(r)})" for r in broken) + ".")
def _rejections(doc: dict) -> str:
    """The oversize scenario: did the refusal reach the client, and how fast?"""
    rs = [r for r in doc["results"] if r.get("rejection")]
    if not rs:
        return ""
    seen = sum(r["rejection"]["status_seen"] for r in rs)
    total = sum(r["rejection"]["uploads"] for r in rs)
    reset = sorted({r["target"] for r in rs if r["rejection"]["reset"]})
    timed = [r for r in rs if r["rejection"]["time_to_rejection_ms"]]
    line = (f"Over the limit (oversize): the client read the refusal in {seen} of {total} "
            "uploads" + (f"; a reset instead at {', '.join(reset)}" if reset
                         else ", at every target"))
    if timed:
        slow = max(timed, key=lambda r: r["rejection"]["time_to_rejection_ms"]["p50"])
        line += (f"; slowest to refuse: {slow['target']} (p50 "
                 f"{slow['rejection']['time_to_rejection_ms']['p50']:.0f} ms at "
                 f"{format_size(slow['size_bytes'])})")
    return line + "."


def _resuming(doc: dict) -> list[str]:
    """tus: what a cut connection cost each server, in retries, bytes and time."""
    out = []
    rs = [r for r in doc["results"] if (r.get("resume") or {}).get("recovery_ms")]
    for target in sorted({r["target"] for r in rs}):
        mine = [r for r in rs if r["target"] == target]
        worst = max(r["resume"]["recovery_ms"]["max"] for r in mine)
        typical = min(worst, max(r["resume"]["recovery_ms"]["p50"] for r in mine))  # HDR rounds
        total = {k: sum(r["resume"].get(k) or 0 for r in mine)
                 for k in ("drops", "retries", "resumes", "bytes_resent")}
        line = (f"Resuming (tus) at {target}: {total['drops']} connections cut, "
                f"{total['retries']} retries, {total['resumes']} resumed; time to resume p50 "
                f"{typical / 1000:.1f} s, up to {worst / 1000:.1f} s; "
                f"{format_size(total['bytes_resent']) if total['bytes_resent'] else 'nothing'} "
                "sent twice.")
        if worst > 10_000:
            line += (" The server took bytes again only after that long (a lock or a timeout "
                     "on its side): a client that does not retry with backoff fails there.")
        out.append(line)
    return out


def _outside_integrity(doc: dict) -> list[str]:
    """Anyone's endpoint: what its answers proved about the bytes (no disk to look at)."""
    out = []
    rs = [r for r in doc["results"] if "unverified" in r["integrity"]]
    for target in sorted({r["target"] for r in rs}):
        mine = [r["integrity"] for r in rs if r["target"] == target]
        acked = sum(i["acknowledged"] for i in mine)
        verified = sum(i["verified"] for i in mine)
        corrupt = sum(i["corrupt"] for i in mine)
        notes = sorted({i["note"] for i in mine if i.get("note")})
        out.append(f"Integrity at {target}: {verified} of {acked} acknowledged uploads verified "
                   f"by a digest, {corrupt} reported different bytes"
                   + (f"; {'; '.join(notes)}" if notes else "") + ".")
    return out


def _fastest(label: str, rs: list[dict], size: int, by: str = "rps") -> str:
    at = [r for r in rs if r["size_bytes"] == size]
    users = max(r["load"]["users"] for r in at)
    at = [r for r in at if r["load"]["users"] == users]
    best = max(at, key=lambda r: r["throughput"][by])
    worst = min(at, key=lambda r: r["throughput"][by])
    unit = "req/s" if by == "rps" else "MB/s"
    if best is worst:  # one target (anyone's endpoint): nothing to compare
        return (f"{label} ({format_size(size)}, {users} users): {best['target']} at "
                f"{best['throughput'][by]:.1f} {unit} (p50 {best['latency_ms']['p50']:.1f} ms).")
    return (f"{label} ({format_size(size)}, {users} users): {best['target']} fastest at "
            f"{best['throughput'][by]:.1f} {unit} (p50 {best['latency_ms']['p50']:.1f} ms); "
            f"slowest {worst['target']} at {worst['throughput'][by]:.1f} {unit}.")


def _data_loss(doc: dict) -> str:
    crash = [r for r in doc["results"] if r["scenario"] == "crash"]
    if doc["results"] and all("unverified" in r["integrity"] for r in doc["results"]):
        return ""  # anyone's endpoint alone: no disk to find losses on (_outside_integrity)
    if not crash:
        lost = [r for r in doc["results"] if r["integrity"]["lost"] or r["integrity"]["corrupt"]]
        if lost:
            return "Data loss: " + "; ".join(
                f"{r['target']} lost {r['integrity']['lost']} and corrupted "
                f"{r['integrity']['corrupt']} acknowledged uploads ({r['scenario']})" for r in lost)
        return ("Data loss: none of the acknowledged uploads was lost or corrupt; a crash was "
                "not part of this run (--scenarios crash tests that).")
    parts = []
    for r in sorted(crash, key=lambda r: -r["integrity"]["lost"]):
        i = r["integrity"]
        parts.append(f"{r['target']} {i['lost']} lost" + (f", {i['unfinished']} never processed"
                                                          if i.get("unfinished") else "")
                     + f" of {i['acknowledged']}")
    return "Crash (SIGKILL mid-run): " + "; ".join(parts) + "."


def _bw(doc: dict) -> str:
    return format_size(doc["config"].get("bandwidth") or 0) + "/s"
