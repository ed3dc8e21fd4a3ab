"""fastapi-stream — the async counterpart of flask-stream (no seed does it; it is the baseline
a careful async engineer would write).

`request.stream()` chunks are pushed into python-multipart's `MultipartParser` (the parser
Starlette itself uses); the bytes of field `file` go straight to the destination file and into
the sha256. Memory is bounded by one chunk. File writes happen on the event loop: they are
small appends to the page cache (tens of microseconds), cheaper than a threadpool hop each.
"""

from __future__ import annotations

import hashlib

from fastapi import Request
from fastapi.responses import JSONResponse
from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from targets.common.fastapi_app import create_app, error
from targets.common.store import UploadStore

app, settings, store = create_app(__name__)


class FileSink:
    """python-multipart callbacks that keep the first part named `file` and ignore the rest."""

    def __init__(self, store: UploadStore, hashing: bool):
        self.store = store
        self.digest = hashlib.sha256() if hashing else None
        self.upload = None
        self.out = None
        self.size = 0
        self.ended = False
        self.problem: str | None = None
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._writing = False

    def callbacks(self) -> dict:
        return {"on_part_begin": self._part_begin, "on_header_field": self._header_field,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished, "on_part_data": self._data,
                "on_part_end": self._part_end, "on_end": self._end}

    def _part_begin(self):
        self._headers, self._field, self._value = {}, b"", b""

    def _header_field(self, data, start, end):
        self._field += data[start:end]

    def _header_value(self, data, start, end):
        self._value += data[start:end]

    def _header_end(self):
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_finished(self):
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if options.get(b"name") != b"file" or self.upload is not None or self.problem:
            return
        filename = options.get(b"filename")
        if filename is None:
            return  # a plain form field named file
        if not filename:
            self.problem = "empty filename in field 'file'"
            return
        self.upload = self.store.new(filename.decode("utf-8", "replace"))
        self.out = open(self.upload.path, "wb")
        self._writing = True

    def _data(self, data, start, end):
        if self._writing:
            chunk = memoryview(data)[start:end]  # a view, not a copy
            self.out.write(chunk)
            self.size += len(chunk)
            if self.digest:
                self.digest.update(chunk)

    def _part_end(self):
        if self._writing:
            self._writing = False
            self.out.close()

    def _end(self):
        self.ended = True

    def close(self):
        if self.out is not None:
            self.out.close()


@app.post("/upload")
async def upload(request: Request):
    mimetype, options = parse_options_header(request.headers.get("content-type", ""))
    if mimetype != b"multipart/form-data" or not options.get(b"boundary"):
        return error(400, "expected multipart/form-data with a boundary")
    sink = FileSink(store, hashing=settings.work.kind == "sha256")
    committed = False
    try:
        parser = MultipartParser(options[b"boundary"], sink.callbacks())
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        if sink.problem:
            return error(400, sink.problem)
        if not sink.ended:
            return error(400, "malformed multipart body: it ended before its closing boundary")
        if sink.upload is None:
            return error(400, "missing multipart field 'file'")
        sink.close()
        sha256 = await settings.work.arun(sink.upload.path,
                                          sink.digest.hexdigest() if sink.digest else None)
        record = store.save(sink.upload, "stored", sink.size, sha256)
        committed = True
        return JSONResponse(record, status_code=201)
    except MultipartParseError as exc:
        return error(400, f"malformed multipart body: {exc}")
    finally:
        sink.close()
        if sink.upload is not None and not committed:
            store.discard(sink.upload)
