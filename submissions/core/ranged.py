"""Read an S3 object like a local file, fetching only the byte ranges a reader asks for.

Inspection (tifffile) reads a TIFF's header, its IFDs and its OME-XML: kilobytes to a few
megabytes of a file that may be hundreds of gigabytes. `S3RangeReader` is a seekable, read-only
raw file whose reads are ranged GetObject calls through a cache of aligned blocks;
`open_ranged` puts an io.BufferedReader in front of it for the parser's many tiny reads.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections import OrderedDict
from collections.abc import Iterator
from typing import IO, Any

logger = logging.getLogger(__name__)

# A GET fetches whole aligned blocks of this size: a parser's small reads around one IFD cost
# one request, and a TIFF that keeps an IFD beside each plane (Bio-Formats, most vendors) costs
# one block per plane. Measured with tifffile on 17 MB to 1 GB files: 32 KiB fetched 0.2-15%
# of a file, 1 MiB 10-200% (each IFD's block, fetched twice).
BLOCK_SIZE = 32 * 2**10
# tifffile walks the IFD chain, then visits every IFD again: blocks are kept so the second
# visit is free, for files of up to about 2,000 planes at 64 MiB (a read of more than a quarter
# of this goes straight through, uncached).
CACHE_BYTES = 64 * 2**20


class S3RangeReader(io.RawIOBase):
    """A seekable, read-only raw file over one S3 object, read through ranged GETs.

    `requests` and `bytes_fetched` count what was asked of S3 (the HEAD included). The first
    error a GET raised is kept in `failure`: parsers such as tifffile catch read errors and
    carry on with less, so the caller must re-raise it (see `open_ranged`).
    """

    def __init__(
        self,
        *,
        client: Any,
        bucket: str,
        key: str,
        name: str,
        block_size: int = BLOCK_SIZE,
        cache_bytes: int = CACHE_BYTES,
    ) -> None:
        super().__init__()
        self._client, self._bucket, self._key, self._name = client, bucket, key, name
        self._position = 0
        self._block_size = block_size
        self._cache_blocks = max(cache_bytes // block_size, 4)
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self.failure: BaseException | None = None
        self.size = int(client.head_object(Bucket=bucket, Key=key)["ContentLength"])
        self.requests = 1
        self.bytes_fetched = 0

    @property
    def name(self) -> str:
        # tifffile names the file in its own messages; the researcher's name, not the key.
        return self._name

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        elif whence == io.SEEK_END:
            position = self.size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if position < 0:
            raise OSError(f"negative seek position {position}")
        self._position = position
        return position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        start, end = self._position, min(self._position + len(view), self.size)
        if end <= start:
            return 0  # at or past the end of the object
        if end - start > self._block_size * self._cache_blocks // 4:
            data = self._get(start, end)  # a large read (pixels, a long OME-XML): not kept
        else:
            data = self._cached(start, end)
        count = min(len(data), len(view))
        view[:count] = data[:count]
        self._position += count
        return count

    def _cached(self, start: int, end: int) -> bytes:
        """Bytes start..end through the block cache; each run of missing blocks is one GET."""
        size = self._block_size
        indexes = range(start // size, (end - 1) // size + 1)
        for index in indexes:
            if index in self._blocks:
                self._blocks.move_to_end(index)  # so that filling the rest cannot evict it
        missing = [index for index in indexes if index not in self._blocks]
        while missing:
            run = 1
            while run < len(missing) and missing[run] == missing[0] + run:
                run += 1
            first = missing[0]
            data = self._get(first * size, min((first + run) * size, self.size))
            for offset in range(run):
                self._blocks[first + offset] = data[offset * size : (offset + 1) * size]
            missing = missing[run:]
        while len(self._blocks) > self._cache_blocks:
            # Full: drop the block used last before this read. With more IFDs than fit, the
            # least recently used would be the next one tifffile visits again, every time.
            newest = next(index for index in reversed(self._blocks) if index not in indexes)
            del self._blocks[newest]
        joined = b"".join(self._blocks[index] for index in indexes)
        skip = start - indexes[0] * size
        return joined[skip : skip + end - start]

    def _get(self, start: int, end: int) -> bytes:
        try:
            response = self._client.get_object(
                Bucket=self._bucket, Key=self._key, Range=f"bytes={start}-{end - 1}"
            )
            data: bytes = response["Body"].read()
        except Exception as error:
            if self.failure is None:
                self.failure = error
            raise
        self.requests += 1
        self.bytes_fetched += len(data)
        return data


@contextlib.contextmanager
def open_ranged(
    *,
    client: Any,
    bucket: str,
    key: str,
    name: str,
    block_size: int = BLOCK_SIZE,
    cache_bytes: int = CACHE_BYTES,
) -> Iterator[IO[bytes]]:
    """A buffered, seekable binary file over `bucket/key`, named `name` in messages.

    If any GET failed while the block ran, that error is raised when the block ends, even when
    the reader caught it and went on (a lost connection must not pass for a damaged file).
    """
    raw = S3RangeReader(
        client=client,
        bucket=bucket,
        key=key,
        name=name,
        block_size=block_size,
        cache_bytes=cache_bytes,
    )
    handle = io.BufferedReader(raw)
    try:
        yield handle
    except Exception as error:
        if raw.failure is not None and raw.failure is not error:
            raise raw.failure from error
        raise
    finally:
        handle.close()
        logger.info(
            "read %s: %d requests, %d of %d bytes",
            key,
            raw.requests,
            raw.bytes_fetched,
            raw.size,
            extra={"s3_requests": raw.requests, "s3_bytes": raw.bytes_fetched},
        )
    if raw.failure is not None:
        raise raw.failure
