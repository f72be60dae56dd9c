"""Streaming a stored object to a browser through Aperture, with HTTP range requests.

For private objects that must never get a public address (review copies, change-point
screenshots): the view checks who may read, then this module streams the bytes from the
folder or S3 storage. A `Range: bytes=...` header (RFC 9110 §14) is honoured for one range,
as OME-Zarr readers ask for parts of shards; S3 gets the same Range on its GET, so nothing
beyond the range is read (folders: core.http.ranged_response, shared with the public
archive objects). Anything we do not understand is answered with the whole object
(200), as the RFC allows; an unsatisfiable range is a 416.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from typing import IO

from django.core.files.storage import Storage
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from submissions.core import storage as st
from submissions.core.errors import NotFound
from submissions.core.http import ranged_response

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 256 * 1024


def _stream(handle: IO[bytes], remaining: int) -> Iterator[bytes]:
    try:
        while remaining > 0:
            block = handle.read(min(_CHUNK, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block
    finally:
        handle.close()


def serve_private(
    request: HttpRequest, *, storage: Storage, key: str, content_type: str | None = None
) -> HttpResponseBase:
    """The object at `key`, whole or the asked range; NotFound when it does not exist.
    Never cached by shared caches: the caller has checked who may read it."""
    content_type = content_type or mimetypes.guess_type(key)[0] or "application/octet-stream"
    header = request.headers.get("Range", "")
    if st.is_s3(storage):
        response = _serve_s3(storage, key, header, content_type)
    else:
        response = _serve_folder(storage, key, header, content_type)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=60"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _serve_folder(storage: Storage, key: str, header: str, content_type: str) -> HttpResponseBase:
    path = st._folder_path(storage, key)
    if not path.is_file():
        raise NotFound("No such object.")
    size = path.stat().st_size
    handle = path.open("rb")
    partial = ranged_response(handle, size=size, header=header or None, content_type=content_type)
    if partial is not None:
        return partial
    whole = StreamingHttpResponse(_stream(handle, size), content_type=content_type)
    whole["Content-Length"] = str(size)
    return whole


def _serve_s3(storage: Storage, key: str, header: str, content_type: str) -> HttpResponseBase:
    from botocore.exceptions import ClientError

    client, bucket = st.s3_client(storage), st._bucket(storage)
    asked = header if header and _RANGE.match(header.strip()) else ""
    try:
        result = client.get_object(Bucket=bucket, Key=key, **({"Range": asked} if asked else {}))
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in {"NoSuchKey", "404", "NotFound"}:
            raise NotFound("No such object.") from None
        if code == "InvalidRange":
            response = HttpResponse(status=416)
            size = error.response.get("Error", {}).get("ActualObjectSize")
            if size:
                response["Content-Range"] = f"bytes */{size}"
            return response
        raise
    length = int(result["ContentLength"])
    status = 206 if result.get("ContentRange") else 200
    streamed = StreamingHttpResponse(
        _stream(result["Body"], length), status=status, content_type=content_type
    )
    streamed["Content-Length"] = str(length)
    if status == 206:
        streamed["Content-Range"] = result["ContentRange"]
    return streamed
