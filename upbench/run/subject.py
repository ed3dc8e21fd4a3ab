"""What a level runs against, and what verify checks: one of our running targets, or anyone's
endpoint (`run --url`). The one place that says which scenarios a subject can run (`missing`)
and what verify may expect of it (`answer`, `storage`, `tus_path`, `advisory`).

Each scenario says what it needs (loadtests/catalog.py); a subject says what it offers; the
runners only compare the two, never a scenario's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from loadtests.catalog import Scenario
from loadtests.http import Connection
from loadtests.presign import TICKET_PATH
from loadtests.request import RequestSpec
from targets.spec import PROTOCOLS, Target
from upbench.lifecycle.server import RunningTarget, ServerOptions
from upbench.measure.storage import Storage

UPLOAD_PATH = "/upload"          # our targets' HTTP contract (docs/contracts.md)
STATUS_PATH = "/uploads/{id}"
HEALTH_PATH = "/health"
TUS_PATH = "/files/"


@dataclass(frozen=True)
class Subject:
    name: str
    base_url: str
    protocols: tuple[str, ...]
    upload_path: str | None = None       # anyone's endpoint: its URL's path for every scenario
    status_path: str | None = STATUS_PATH  # None: nothing to poll
    health_path: str | None = HEALTH_PATH  # None: no /health beside the uploads
    running: RunningTarget | None = None   # ours: processes, storage, restart
    concurrency: int | None = None       # uploads it can hold at once (sync workers); None: any
    notes: tuple[str, ...] = ()
    request: RequestSpec = RequestSpec()   # anyone's endpoint: how it wants its uploads
    digest: str | None = None    # what verify found the answers carry ("etag-md5": trust ETags)
    multipart: bool = True       # verify uploads in one request (a bare tus server takes none)
    tus_path: str | None = None  # a tus 1.0 creation endpoint verify checks as well
    limit: int | None = None     # anyone's: the upload size it must refuse above (None: unknown)
    completion: str = "poll"     # how a 202's completion is learned ("records": from disk)

    @classmethod
    def planned(cls, target: Target) -> Subject:
        """One of our targets before it runs: enough to plan its levels and offer scenarios."""
        return cls(target.name, "", target.protocols)

    @classmethod
    def of(cls, running: RunningTarget, options: ServerOptions | None = None) -> Subject:
        """One of our running targets: every check applies, every scenario it speaks runs."""
        target, options = running.target, options or ServerOptions()
        sync = target.server == "gunicorn" and (options.worker_class or target.worker_class) \
            == "sync"
        presign = "presign" in target.protocols  # its uploads go through a ticket
        return cls(target.name, running.url, target.protocols, running=running,
                   concurrency=options.workers if sync else None,
                   tus_path=TUS_PATH if "tus" in target.protocols else None,
                   upload_path=TICKET_PATH if presign else None,
                   request=RequestSpec(transfer="presign") if presign else RequestSpec(),
                   completion=target.completion)

    @classmethod
    def external(cls, url: str, name: str | None = None, request: RequestSpec | None = None,
                 status_path: str | None = None, limit: int | None = None,
                 scenarios: Iterable[Scenario] = ()) -> Subject:
        """Anyone's endpoint: its URL (credentials already split off by the plan) gives the
        origin and the path every scenario uploads to, query string included. What verify
        checks there follows the `scenarios` planned against it: an upload endpoint, a tus
        creation endpoint, or both (none planned: an upload endpoint)."""
        tus = {scenario.needs == ("tus",) for scenario in scenarios} or {False}
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(name or host, f"{parts.scheme}://{host}", PROTOCOLS, upload_path=path,
                   status_path=status_path, health_path=None, request=request or RequestSpec(),
                   limit=limit,
                   multipart=False in tus, tus_path=path if True in tus else None,
                   notes=("external endpoint: no disk check, no server sampling"
                          + ("" if status_path else ", no completion polling"),))

    @property
    def advisory(self) -> bool:
        """Anyone's endpoint: verify's checks beyond the uploads only advise."""
        return self.running is None

    def speaks(self, scenario: Scenario) -> bool:
        """Whether the scenario's protocols are this subject's: a sweep plans only those."""
        return set(scenario.needs) <= set(self.protocols)

    def missing(self, scenario: Scenario) -> str | None:
        """Why this subject cannot run `scenario`, or None when it can."""
        if not self.speaks(scenario):
            return f"needs {'/'.join(scenario.needs)}"
        if scenario.needs_health and self.health_path is None:
            return "needs /health"
        if scenario.own_server and self.running is None:
            return "needs a server upbench runs"
        return None

    def path_for(self, scenario: Scenario) -> str:
        return self.upload_path or scenario.upload_path

    @property
    def verify_path(self) -> str:
        """Where verify uploads: anyone's URL, or our targets' /upload."""
        return self.upload_path or UPLOAD_PATH

    @property
    def answer(self) -> int | None:
        """Ours: 201 or 202, as the target's spec says; anyone's: any success."""
        return self.running.target.answer if self.running else None

    @property
    def storage(self) -> Storage | None:
        return self.running.storage if self.running else None

    def connection(self, timeout: float) -> Connection:
        tls = self.request.tls_context() if self.base_url.startswith("https:") else None
        return Connection(self.base_url, timeout=timeout, tls=tls)
