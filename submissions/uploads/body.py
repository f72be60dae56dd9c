"""The bytes of a part PUT (folder storage), read straight from the connection under gunicorn.

gunicorn hands a request body to the application through three readers (Body, LengthReader
and the socket's Unreader), each with its own BytesIO: every byte is copied four or five
times in Python before the view sees it. For an upload that is most of the web process's
work: a 1 GiB upload took 3.2 s through them and 2.6 s read directly (docs/benchmarks.md).

So for a body of known length (Content-Length, not chunked) that nobody has read yet,
`part_body` reads the connection itself: first whatever gunicorn already read ahead with
the headers (`Unreader.take_buffered`; anything past this body, a pipelined request, is
handed back), then `recv` on the request's socket (`gunicorn.socket`; over TLS that is the
TLS socket). After every read it lowers gunicorn's own count of the body's bytes left
(`LengthReader.length`), so gunicorn always knows where the next request on the connection
starts, as if it had read them itself. Under any other server, for a chunked body, or if
gunicorn's readers are not the classes this was written against, the view gets Django's
request stream as before.
"""

from __future__ import annotations

import socket
from typing import Any

from django.http import HttpRequest


class SocketBody:
    """A body of known length read from the connection, for `read(size)` callers."""

    def __init__(self, reader: Any, sock: socket.socket, buffered: bytes) -> None:
        self.reader, self.sock, self.buffered = reader, sock, buffered

    def read(self, size: int = -1) -> bytes:
        left = int(self.reader.length)
        if left <= 0 or size == 0:
            return b""
        want = left if size < 0 else min(size, left)
        if self.buffered:
            data, self.buffered = self.buffered[:want], self.buffered[want:]
        else:
            data = self.sock.recv(want)
        self.reader.length = left - len(data)
        return data


def part_body(request: HttpRequest) -> Any:
    """The fastest reader of this request's body: a SocketBody under gunicorn, else the
    request itself (Django's stream)."""
    direct = _gunicorn_body(request)
    return request if direct is None else direct


def _gunicorn_body(request: HttpRequest) -> SocketBody | None:
    try:
        from gunicorn.http.body import Body, LengthReader
        from gunicorn.http.unreader import SocketUnreader
    except ImportError:  # not served by gunicorn
        return None
    stream = request.META.get("wsgi.input")
    sock = request.META.get("gunicorn.socket")
    if not isinstance(stream, Body) or sock is None or getattr(request, "_read_started", False):
        return None
    reader = stream.reader
    if (
        not isinstance(reader, LengthReader)
        or not isinstance(reader.unreader, SocketUnreader)
        or not hasattr(reader.unreader, "take_buffered")
        or stream.buf.tell()  # the application read some already
    ):
        return None
    buffered = reader.unreader.take_buffered()
    if len(buffered) > reader.length:  # the start of a pipelined next request: give it back
        reader.unreader.unread(buffered[reader.length :])
        buffered = buffered[: reader.length]
    return SocketBody(reader, sock, buffered)
