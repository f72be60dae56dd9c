"""Writing conversion output to S3 (S3Target): small objects as single PUTs, shards as
multipart uploads whose parts go up in parallel while the converter goes on."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from submissions.conversion.s3.location import S3Location, s3_listing
from submissions.conversion.s3.store import S3ReadStore

if TYPE_CHECKING:
    from zarr.abc.store import Store

# S3 parts: at least 5 MiB except the last (S3's rule); 8 MiB keeps a shard's buffer small.
S3_PART_BYTES = 8 * 2**20
S3_UPLOAD_WORKERS = 8
CHECKSUM_ALGORITHM = "CRC32"
_DELETE_BATCH = 1000


class _MultipartSink:
    """A shard as an S3 multipart upload: appends fill a buffer; every S3_PART_BYTES a part is
    cut and sent by the target's upload pool while the converter goes on. A shard that never
    fills one part is sent with a single PUT when closed."""

    def __init__(self, target: S3Target, key: str) -> None:
        self._target = target
        self._key = key
        self._lock = threading.Lock()
        self._buffer = bytearray()
        self._size = 0
        self._upload_id: str | None = None
        self._parts: list[Future[dict[str, Any]]] = []

    def append(self, data: bytes | memoryview) -> int:
        view = memoryview(data).cast("B")
        with self._lock:
            offset = self._size
            self._size += view.nbytes
            self._buffer += view
            if len(self._buffer) >= S3_PART_BYTES:
                self._send_part()
        return offset

    def _send_part(self) -> None:
        """Cut the buffer into the next part (caller holds the lock)."""
        target = self._target
        if self._upload_id is None:
            response = target.client.create_multipart_upload(
                Bucket=target.location.bucket,
                Key=target.key(self._key),
                ChecksumAlgorithm=CHECKSUM_ALGORITHM,
            )
            self._upload_id = str(response["UploadId"])
        number = len(self._parts) + 1
        body = bytes(self._buffer)
        self._buffer = bytearray()
        self._parts.append(target.submit(self._upload_part, number, body))

    def _upload_part(self, number: int, body: bytes) -> dict[str, Any]:
        target = self._target
        response = target.client.upload_part(
            Bucket=target.location.bucket,
            Key=target.key(self._key),
            UploadId=self._upload_id,
            PartNumber=number,
            Body=body,
            ChecksumAlgorithm=CHECKSUM_ALGORITHM,
        )
        part = {"PartNumber": number, "ETag": response["ETag"]}
        if response.get("ChecksumCRC32"):
            part["ChecksumCRC32"] = response["ChecksumCRC32"]
        return part

    def close(self) -> None:
        target = self._target
        with self._lock:
            if self._upload_id is None:
                target.put(self._key, bytes(self._buffer))
                self._buffer = bytearray()
                return
            if self._buffer:
                self._send_part()
            futures = list(self._parts)
        parts = [future.result() for future in futures]
        target.client.complete_multipart_upload(
            Bucket=target.location.bucket,
            Key=target.key(self._key),
            UploadId=self._upload_id,
            MultipartUpload={"Parts": parts},
        )

    def abort(self) -> None:
        if self._upload_id is not None:
            # Best effort: a bucket lifecycle rule sweeps incomplete uploads otherwise.
            with contextlib.suppress(Exception):
                self._target.client.abort_multipart_upload(
                    Bucket=self._target.location.bucket,
                    Key=self._target.key(self._key),
                    UploadId=self._upload_id,
                )


class S3Target:
    def __init__(self, location: S3Location, *, workers: int = S3_UPLOAD_WORKERS) -> None:
        self.location = location
        self.name = location.name
        self.client = location.client(max_connections=workers * 2)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="s3-part")
        # Bounds parts queued or in flight: a slow bucket slows the converter, not its memory.
        self._slots = threading.BoundedSemaphore(workers * 2)
        self._sinks: list[_MultipartSink] = []
        self._sinks_lock = threading.Lock()
        self.delete_all()

    def key(self, relative: str) -> str:
        return f"{self.location.prefix}/{relative}"

    def submit(self, work: Any, *args: Any) -> Future[Any]:
        self._slots.acquire()
        try:
            future = self._pool.submit(work, *args)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def put(self, key: str, data: bytes | memoryview) -> None:
        self.client.put_object(
            Bucket=self.location.bucket,
            Key=self.key(key),
            Body=bytes(data),
            ChecksumAlgorithm=CHECKSUM_ALGORITHM,
        )

    def listing(self) -> dict[str, int]:
        return s3_listing(self.client, self.location)

    def delete_all(self) -> None:
        keys = [self.key(relative) for relative in self.listing()]
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            self.client.delete_objects(
                Bucket=self.location.bucket,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )

    def commit(self) -> None:
        self._pool.shutdown(wait=True)

    def abort(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        for sink in self._sinks:
            sink.abort()
        # Best effort: the next attempt empties the prefix first anyway.
        with contextlib.suppress(Exception):
            self.delete_all()

    def store(self) -> Store:
        return S3ReadStore(self.location, client=self.client)

    def sink(self, key: str) -> _MultipartSink:
        sink = _MultipartSink(self, key)
        with self._sinks_lock:
            self._sinks.append(sink)
        return sink
