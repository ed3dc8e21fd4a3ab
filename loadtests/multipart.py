"""multipart/form-data framing around a Body, built once per upload without copying the body."""

from __future__ import annotations

import os

from loadtests.payload import Body

BOUNDARY = "upbench-" + os.urandom(12).hex()
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
_TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


def multipart(body: Body, filename: str, field: str = "file",
              content_type: str = "application/octet-stream") -> tuple[list, int]:
    """The parts to send (head, body parts..., tail) and their total length."""
    head = (f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n").encode()
    parts = [head, *body.parts, _TAIL]
    return parts, len(head) + body.size + len(_TAIL)
