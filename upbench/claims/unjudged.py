"""Every performance sentence of the seeds that no claim of its own judges, with the reason.

Together with the registered claims this covers each seed's performance sentences: a reader
auditing a seed finds each one either judged (a claim id) or here. `judged_by` names the claims
that answer it where another sentence's comparison does; the Web Vitals sentences are judged
in a real browser by the browser claims (their ids in `judged_by`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

BROWSER = "judged by the browser claims (Web Vitals are measured in a real browser)"
RESTATED = "a summary or tip restating the article's claims: judged by those"


@dataclass(frozen=True)
class Unjudged:
    seed: str
    quote: str
    reason: str
    judged_by: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return asdict(self) | {"judged_by": list(self.judged_by)}


UNJUDGED = (
    Unjudged("000", "Saving files synchronously blocks the server during upload, causing slow "
             "response and poor user experience under load.",
             "the same comparison as its neighbours: 'slow response' is the upload latency and "
             "'blocks the server' the bystanders' wait beside sync saves against the seed's "
             "thread, at the same load", ("thread-answers-faster", "sync-blocks-others")),
    Unjudged("000", "Non-blocking upload handling improves INP and server throughput.", BROWSER,
             ("thread-improves-inp", "thread-more-throughput")),
    Unjudged("000", "threading.Thread(target=save_file_async, args=(data, filename)).start() "
             "(a thread per upload, unbounded)",
             "not judged: every experiment runs below capacity by design (open loop), where "
             "the number of threads stays small; a burst above capacity (threads and memory "
             "against arrivals) is not part of the claims run. The memory the threads hold is "
             "judged", ("thread-holds-uploads-in-memory",)),
    Unjudged("001", "Naive implementations can lead to high memory consumption, slow "
             "performance, and server crashes.",
             "names no code; its memory part is the basic upload's claim; 'server crashes' "
             "would need uploads past the machine's memory, which the harness does not provoke",
             ("basic-loads-whole-file",)),
    Unjudged("001", "…which is inefficient for large files.",
             "its memory part is judged with the sentence it ends; 'inefficient' in time has "
             "no comparison the seed names", ("basic-loads-whole-file",)),
    Unjudged("001", "Uploading files in a blocking request can slow down Flask.",
             "the same comparison as the Celery claim that follows it in the seed",
             ("celery-keeps-api-fast",)),
    Unjudged("001", "This offloads storage and retrieval to the cloud. / Cloud storage "
             "integration for scalability",
             "not judged: scalability is a property of the cloud service, and a local S3 "
             "endpoint on the same 2 cores cannot show it; the s3 target's latency, memory "
             "and integrity are in the survey"),
    Unjudged("002", "Heavy file processing blocks the request, delaying response and causing "
             "poor interaction responsiveness.",
             "the same comparison as the BackgroundTasks claim (the seed's two snippets); INP "
             "in the browser", ("background-tasks-immediate", "background-tasks-improve-inp")),
    Unjudged("002", "Response returns immediately, improving INP and reducing user wait.",
             BROWSER, ("background-tasks-improve-inp", "background-tasks-immediate")),
    Unjudged("003", "Enables concurrent request handling, reducing wait time and improving INP "
             "under load.", BROWSER, ("async-flask-improves-inp", "async-flask-concurrency")),
    Unjudged("003", "The synchronous route blocks the server during the sleep, preventing it "
             "from handling other requests concurrently.",
             "the same measurement as 'Handles 1 request at a time'",
             ("sync-one-at-a-time", "sync-one-at-a-time-app-run")),
    Unjudged("004", "Background tasks improve server response time and user experience.",
             "its response-time part is the long-task claims (an I/O and a CPU task); user "
             "experience (LCP) in the browser",
             ("thread-long-task-instant", "thread-long-task-instant-cpu",
              "background-improves-lcp")),
    Unjudged("004", "Response sent instantly, improving LCP and server responsiveness", BROWSER,
             ("background-improves-lcp", "thread-long-task-instant")),
    Unjudged("004", "Thread(target=background_task).start() (a thread per request, unbounded)",
             "not judged, as for seed 000's thread: the claims run stays below capacity"),
    # the articles' summaries and tips restate their claims: judged where those are
    Unjudged("000", "Avoid blocking server routes with synchronous file save operations. / Use "
             "background threads or asynchronous tasks to handle file saving.", RESTATED,
             ("sync-blocks-others", "thread-frees-other-requests")),
    Unjudged("001", "Streaming file uploads to avoid memory overload / Streaming uploads to "
             "reduce memory usage", RESTATED,
             ("streaming-flat-memory", "streaming-flat-memory-shipped")),
    Unjudged("001", "Asynchronous file handling for better scalability / Asynchronous "
             "processing to improve performance", RESTATED, ("celery-keeps-api-fast",)),
    Unjudged("001", "Chunked file uploads for large files / Chunked uploads for handling large "
             "files", RESTATED, ("chunked-survives-drops", "chunked-resends-less")),
    Unjudged("002", "Always offload heavy file processing to background tasks to keep "
             "responses fast.", RESTATED,
             ("background-tasks-immediate", "background-tasks-immediate-shipped")),
    Unjudged("003", "Use async def and await for I/O-bound Flask routes to avoid blocking.",
             RESTATED, ("async-flask-concurrency", "async-flask-concurrency-app-run")),
    Unjudged("004", "Never run long tasks during request handling; use background jobs "
             "instead.", RESTATED, ("thread-long-task-instant", "thread-long-task-instant-cpu")),
)


def as_list() -> list[dict]:
    return [u.as_dict() for u in UNJUDGED]
