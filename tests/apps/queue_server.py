"""A 202 upload endpoint whose one worker completes exactly `--per-second` uploads a second.

    python tests/apps/queue_server.py PORT [--per-second 5]

`POST` (any path) reads the body and answers at once, 202 {"id", "status": "accepted", ...};
a single worker takes the accepted uploads in order, 1/R s each, and marks them processed
(with the time, `updated`, as our targets' records do). `GET /uploads/<id>` answers the
record (404 for an unknown id). So its acknowledgements stay fast at any rate while its
completions are limited to R/s: the known truth of a capacity test. Raw asyncio sockets, no
framework, so nothing adds its own limit.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time

records: dict[str, dict] = {}
ids = itertools.count(1)


def answer(writer: asyncio.StreamWriter, status: str, record: dict) -> None:
    body = json.dumps(record).encode()
    writer.write(b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                 % (status.encode(), len(body)) + body)


async def handle(reader, writer, queue: asyncio.Queue):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            method, path = head.split(b" ", 2)[:2]
            headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:] if b": " in line)
            remaining = int(headers.get(b"Content-Length", b"0"))
            size = remaining
            while remaining:
                remaining -= len(await reader.read(min(remaining, 1 << 20)))
            if method == b"POST":
                key = str(next(ids))
                records[key] = {"id": key, "status": "accepted", "bytes": size, "sha256": None}
                queue.put_nowait(key)
                answer(writer, "202 Accepted", records[key])
            elif path.startswith(b"/uploads/") and path[9:].decode() in records:
                answer(writer, "200 OK", records[path[9:].decode()])
            else:
                answer(writer, "404 Not Found", {"error": "unknown upload"})
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def worker(queue: asyncio.Queue, per_second: float):
    """1/R s per upload, on a clock of its own (a late wake-up does not lower the rate)."""
    loop = asyncio.get_running_loop()
    due = loop.time()
    while True:
        key = await queue.get()
        due = max(due, loop.time()) + 1 / per_second
        await asyncio.sleep(due - loop.time())
        records[key].update(status="processed", updated=time.time())


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--per-second", type=float, default=5.0)
    opts = parser.parse_args()
    queue: asyncio.Queue = asyncio.Queue()
    asyncio.get_running_loop().create_task(worker(queue, opts.per_second))
    server = await asyncio.start_server(lambda r, w: handle(r, w, queue), "127.0.0.1", opts.port)
    print(f"listening on {opts.port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
