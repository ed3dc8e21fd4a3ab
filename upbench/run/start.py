"""Start a target, verify it, skip it on failure: the one way every command does it."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from targets.spec import Target
from upbench.lifecycle.processes import StartError
from upbench.lifecycle.server import ServerOptions, serve
from upbench.progress import Progress
from upbench.records import VerifyRecord
from upbench.run.subject import Subject
from upbench.run.verify import verify


def start_verified(stack: ExitStack, target: Target, options: ServerOptions, logs: Path,
                   progress: Progress | None = None) -> tuple[Subject | None, VerifyRecord]:
    """Start `target` on `stack` (it stops when the stack closes) and verify it: the subject to
    measure, or None when it did not start or failed verify, and the verify record either way.
    Only starting is guarded: an error while measuring is the caller's."""
    if progress:
        progress.info(f"{target.name}: starting (work {options.work})")
    try:
        running = stack.enter_context(serve(target, options, logs))
    except StartError as exc:
        if progress:
            progress.warn(f"{target.name}: did not start: {str(exc).splitlines()[0]}")
        return None, failed_start(target.name, exc)
    subject = Subject.of(running, options)
    check = verify(subject)
    if not check["ok"]:
        if progress:
            failed = [c["name"] for c in check["checks"] if not c["ok"]]
            progress.warn(f"{target.name}: verify failed ({', '.join(failed)}); skipped")
        return None, check
    running.storage.clean()
    return subject, check


def failed_start(name: str, exc: StartError) -> VerifyRecord:
    """A target that did not start, as a verify record: one failed check named "start"."""
    return {"target": name, "ok": False, "checks": [{"name": "start", "ok": False,
                                                    "detail": str(exc)}]}
