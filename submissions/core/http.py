"""Small HTTP helpers the pages and the API share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase


def csv_attachment(filename: str, body: str) -> HttpResponse:
    """`body` as a CSV download named `filename` (a name the server made, never a client's)."""
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


_STREAM_PIECE = 1 * 2**20


class RangeNotSatisfiable(Exception):
    """The Range header asks for bytes the object does not have (answer 416)."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end) exclusive of a single ``Range: bytes=...`` request (RFC 9110 14.1.2):
    ``a-b``, ``a-`` or the suffix ``-n``. None means serve the whole object (no header,
    another unit, several ranges, or a malformed one, all of which a server may ignore)."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, dash, last = header[len("bytes=") :].strip().partition("-")
    if not dash or not (first or last) or not (first + last).isdigit():
        return None
    if not first:  # suffix: the last n bytes
        length = int(last)
        if length == 0:
            raise RangeNotSatisfiable(header)
        return max(size - length, 0), size
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if start >= size or end <= start:
        raise RangeNotSatisfiable(header)
    return start, end


def ranged_response(
    handle: IO[bytes], *, size: int, header: str | None, content_type: str
) -> HttpResponseBase | None:
    """A 206 (or 416) answer to a Range request over an open file; None when the whole
    object should be served instead. Large ranges are streamed, never read whole."""
    try:
        wanted = byte_range(header, size)
    except RangeNotSatisfiable:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if wanted is None:
        return None
    start, end = wanted

    def pieces() -> Iterator[bytes]:
        try:
            handle.seek(start)
            left = end - start
            while left > 0:
                piece = handle.read(min(left, _STREAM_PIECE))
                if not piece:
                    break
                left -= len(piece)
                yield piece
        finally:
            handle.close()

    ranged = StreamingHttpResponse(pieces(), status=206, content_type=content_type)
    ranged["Content-Length"] = str(end - start)
    ranged["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    ranged["Accept-Ranges"] = "bytes"
    return ranged
