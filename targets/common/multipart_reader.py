"""The bytes of multipart field `file` as a readable, iterable object, parsed incrementally from
a raw request stream with Werkzeug's sans-IO `MultipartDecoder`.

Read 1 MiB at a time with `readinto()` into one buffer: gunicorn's sync worker receives up to
1 MiB per `recv()` and pushes back (copies again) whatever a smaller read leaves, and a plain
`read()` on Werkzeug's stream allocates a fresh buffer each call (benchmarks/streaming.py; the
profiles in README, Targets).

Memory stays bounded (one read chunk plus part headers) whatever the upload size, and the
consumer decides where the bytes go: a file (flask-stream), an S3 multipart upload (s3).
`request.files`/`.form`/`.data` are never touched — they would spool the whole body first.
"""

from __future__ import annotations

from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

CHUNK = 1024 * 1024
MAX_PART_HEADERS = 64 * 1024  # what may sit in the decoder beyond one chunk (part headers)


class BadUpload(ValueError):
    """The body is not an upload we can take: the message is the 400 reason."""


def boundary_of(content_type: str | None) -> bytes:
    mimetype, options = parse_options_header(content_type or "")
    if mimetype != "multipart/form-data" or not options.get("boundary"):
        raise BadUpload("expected multipart/form-data with a boundary")
    return options["boundary"].encode("latin-1")


class FilePart:
    """`FilePart(stream, boundary)`: `.filename` once opened, then `read()` the file's bytes.
    `finish()` drains the rest of the body and checks it ends with the closing boundary.

    Iterating yields the decoder's own chunks and `read(n)` hands them on (at most `n` bytes,
    fewer at a chunk's end, b"" at the part's end): a byte is not copied again on its way to
    the consumer."""

    def __init__(self, stream, boundary: bytes, field: str = "file"):
        self._stream = stream
        self._chunk = bytearray(CHUNK)  # request.stream reads into it: no new buffer a read
        self._field = field
        self._decoder = MultipartDecoder(boundary, max_form_memory_size=CHUNK + MAX_PART_HEADERS)
        self._pending = b""        # file bytes decoded, not yet read
        self._in_file = False      # inside the wanted part
        self._file_done = False
        self._ended = False        # epilogue reached
        self.filename = self._find_file()

    def __iter__(self):
        return iter(lambda: self.read(1 << 62), b"")

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK), b""))
        while not self._pending and not self._file_done:
            self._advance()
        data = self._pending
        if len(data) > size:  # s3 reads 8 MB: rare
            data, self._pending = data[:size], data[size:]
        else:
            self._pending = b""
        return data

    def finish(self) -> None:
        while not self._ended:
            self._advance()
        self._pending = b""

    # --- decoding -------------------------------------------------------------------------

    def _find_file(self) -> str:
        while not self._in_file:
            if self._ended:
                raise BadUpload(f"missing multipart field {self._field!r}")
            self._advance()
        return self._filename

    def _advance(self) -> None:
        """Feed one chunk (if the decoder needs it) or process the next event."""
        try:
            event = self._decoder.next_event()
        except BadUpload:
            raise
        except ValueError as exc:  # the decoder's word for bad framing
            raise BadUpload(f"malformed multipart body: {exc}") from exc
        if isinstance(event, NeedData):
            if self._decoder.complete:
                raise BadUpload("malformed multipart body: it ended before its closing boundary")
            n = self._stream.readinto(self._chunk)
            self._decoder.receive_data(memoryview(self._chunk)[:n] if n else None)  # None: the end
            return
        self._on(event)

    def _on(self, event) -> None:
        if isinstance(event, File):
            wanted = event.name == self._field and not (self._in_file or self._file_done)
            if wanted:
                if not event.filename:
                    raise BadUpload(f"empty filename in field {self._field!r}")
                self._filename = event.filename
            self._in_file = wanted
        elif isinstance(event, Data):
            if self._in_file:
                self._pending += event.data  # one event's worth: _pending was empty
                if not event.more_data:
                    self._in_file, self._file_done = False, True
        elif isinstance(event, Field):
            self._in_file = False
        elif isinstance(event, Epilogue):
            self._ended = True
            if self._in_file:
                raise BadUpload("malformed multipart body: file part not terminated")
