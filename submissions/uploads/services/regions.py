"""Folder storage: a part written straight into its place in the upload's file, under a lock
on that byte range.

The upload's file is sparse and fills in part by part at fixed offsets. A PUT for part N
first takes an exclusive lock on N's byte range (a Linux open file description lock,
F_OFD_SETLK: held by this request's open file, released by the kernel when it is closed,
even if the process dies; it works between processes and threads, and on NFS). Holding it,
the request checks that N has not been accepted, streams the bytes into the range while
hashing them, and records N as accepted only if they match their checksum.

So no accepted range is ever written again: only the holder of a range's lock writes it, and
the holder first checks it is not accepted, and accepting it happens under the same lock.
Bytes that fail their checksum only ever lie in a range nobody accepted, and are zeroed
again before the answer. Each byte is written once (no temporary copy), which halves the disk
writes of an upload.

Where the platform has no such locks (macOS), uploads.services.backends' temporary-file path
is used instead.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from submissions.uploads.services import checksums
from submissions.uploads.services.errors import BadDigest, IncompletePart, PartBusy

AVAILABLE = hasattr(fcntl, "F_OFD_SETLK")
READ_CHUNK = 1024 * 1024
# A second PUT of a part waits this long for the first to finish (then it usually finds the
# part accepted and answers with its ETag, as for a retry whose answer was lost).
WAIT_SECONDS = 30.0


def _flock(kind: int, start: int, length: int) -> bytes:
    # struct flock (fcntl(2)): short l_type, short l_whence, off_t l_start, off_t l_len,
    # pid_t l_pid (0 for open file description locks), padded to 32 bytes.
    return struct.pack("@hhqqi4x", kind, os.SEEK_SET, start, max(length, 1), 0)


@contextmanager
def locked_range(fd: int, start: int, length: int, *, part: int) -> Iterator[None]:
    """Hold an exclusive lock on [start, start + length) of `fd`'s file; PartBusy when another
    request still holds it after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    delay = 0.01
    while True:
        try:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _flock(fcntl.F_WRLCK, start, length))
            break
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            if time.monotonic() >= deadline:
                raise PartBusy(
                    f"Part {part} is still arriving in another request; send it again "
                    "when that one has finished."
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
    try:
        yield
    finally:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _flock(fcntl.F_UNLCK, start, length))


def write_range(
    fd: int,
    *,
    offset: int,
    body: IO[bytes],
    size: int,
    algorithm: str,
    checksum: str,
    part: int,
    zero_on_failure: bool = True,
) -> str:
    """Stream `size` bytes from `body` to `offset` in `fd`'s file, hashing as they pass.
    Returns the part's ETag; IncompletePart or BadDigest when the bytes are not the part,
    and then the range is zeroed again (unless the caller deletes the file anyway), so
    bytes that failed never stay in the file. Memory stays at one read buffer whatever the
    part size."""
    hasher = checksums.new_hasher(algorithm)
    received = 0
    try:
        while received < size:
            chunk = body.read(min(READ_CHUNK, size - received))
            if not chunk:
                break
            hasher.update(chunk)
            view = memoryview(chunk)
            while view:
                written = os.pwrite(fd, view, offset + received)
                view = view[written:]
                received += written
        if received != size:
            raise IncompletePart(
                f"Part {part} stopped after {received} of {size} bytes; send it again."
            )
        digest = hasher.digest()
        if checksums.encode(digest) != checksum:
            raise BadDigest(f"Part {part} does not match its checksum; send it again.")
    except BaseException:
        if zero_on_failure:
            _zero(fd, offset, received)
        raise
    return f'"{digest.hex()}"'


def _zero(fd: int, offset: int, count: int) -> None:
    """Zero a range nobody accepted (best effort: if the disk fails now, the range stays
    unaccepted and the part's next PUT overwrites it)."""
    zeros = bytes(min(READ_CHUNK, count))
    done = 0
    try:
        while done < count:
            done += os.pwrite(fd, zeros[: count - done], offset + done)
    except OSError:
        pass
