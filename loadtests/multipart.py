"""multipart/form-data framing around a Body, built once per upload without copying the body."""

from __future__ import annotations

import os

from loadtests.payload import Body

BOUNDARY = "upbench-" + os.urandom(12).hex()
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
_TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


def form_fields(form: tuple[tuple[str, str], ...]) -> bytes:
    """Plain fields (`--form k=v`: a CSRF token, an album id) sent before the file, built once
    per user: browsers send them in form order, and servers that stream parts see them first."""
    return b"".join(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                    f"{value}\r\n".encode() for key, value in form)


def multipart(body: Body, filename: str, field: str = "file",
              content_type: str = "application/octet-stream",
              fields: bytes = b"") -> tuple[list, int]:
    """The parts to send (fields + head, body parts..., tail) and their total length."""
    head = fields + (f"--{BOUNDARY}\r\n"
                     f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n").encode()
    parts = [head, *body.parts, _TAIL]
    return parts, len(head) + body.size + len(_TAIL)
