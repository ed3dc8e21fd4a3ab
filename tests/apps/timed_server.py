"""A bare HTTP/1.1 upload sink with known timing, for calibrating the measurements.

    python tests/apps/timed_server.py PORT [--before-headers-ms A] [--before-body-ms B]
                                           [--pause-every E --pause-for P]
                                           [--status 404 --after N] [--slots N]

It reads each request body completely, waits A ms, sends the status line and headers, waits
B ms, then sends the body. With --pause-every, it stops answering for P seconds out of every
E (requests wait, none is refused), like a stop-the-world pause. With --status, every
request after the first N answers that status instead (404: the route went away after the
check, as in a redeploy), counted in the log. With --slots N, at most N requests are served
at once (the others wait for a slot, none refused): N workers of A ms each, a server whose
throughput limit is exactly N / A per ms. It has
no /health and no /uploads/<id>: any POST path answers 200 with a plain-text body — the
"anyone's endpoint" case. Written on raw asyncio sockets so no framework adds its own delays.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from http import HTTPStatus

BODY = b"thanks"
answered = {"count": 0}
_slots: list[asyncio.Semaphore] = []


def slots(n: int) -> asyncio.Semaphore:
    """The server's N slots, made in the running loop on first use."""
    if not _slots:
        _slots.append(asyncio.Semaphore(n))
    return _slots[0]


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, opts):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:] if b": " in line)
            length = int(headers.get(b"Content-Length", b"0"))
            remaining = length
            while remaining:
                remaining -= len(await reader.read(min(remaining, 1 << 20)))
            if opts.pause_every:
                phase = time.monotonic() % opts.pause_every
                if phase < opts.pause_for:
                    await asyncio.sleep(opts.pause_for - phase)
            if opts.slots:
                async with slots(opts.slots):
                    await asyncio.sleep(opts.before_headers_ms / 1000)
            else:
                await asyncio.sleep(opts.before_headers_ms / 1000)
            answered["count"] += 1
            status = b"200 OK"
            if opts.status and answered["count"] > opts.after:
                status = b"%d %s" % (opts.status, HTTPStatus(opts.status).phrase.encode())
                print(f"answered {status.decode()}", flush=True)
            writer.write(b"HTTP/1.1 %s\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: %d\r\n\r\n" % (status, len(BODY)))
            await writer.drain()
            await asyncio.sleep(opts.before_body_ms / 1000)
            writer.write(BODY)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--before-headers-ms", type=float, default=0)
    parser.add_argument("--before-body-ms", type=float, default=0)
    parser.add_argument("--pause-every", type=float, default=0)
    parser.add_argument("--pause-for", type=float, default=0)
    parser.add_argument("--status", type=int, default=0, help="answer this after --after")
    parser.add_argument("--after", type=int, default=0, help="requests answered 200 first")
    parser.add_argument("--slots", type=int, default=0, help="requests served at once (0: any)")
    opts = parser.parse_args()
    server = await asyncio.start_server(lambda r, w: handle(r, w, opts), "127.0.0.1", opts.port)
    print(f"listening on {opts.port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
