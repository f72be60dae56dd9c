"""S3 for the conversion library: where (an S3Location), how to write (S3Target: PUTs, and
shards as parallel multipart uploads), how to read back (S3ReadStore, a zarr store), and
which failures are the store's and worth retrying. boto3 only; no Django.

See submissions.conversion.target for the output abstraction these implement.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zarr.abc.store import ByteRequest, Store
    from zarr.core.buffer import Buffer, BufferPrototype

# S3 parts: at least 5 MiB except the last (S3's rule); 8 MiB keeps a shard's buffer small.
S3_PART_BYTES = 8 * 2**20
S3_UPLOAD_WORKERS = 8
CHECKSUM_ALGORITHM = "CRC32"
_DELETE_BATCH = 1000


@dataclass(frozen=True)
class S3Location:
    """A prefix in an S3 bucket (AWS, MinIO, Ceph RGW...), and how to reach it."""

    bucket: str
    prefix: str
    endpoint_url: str | None = None
    region: str | None = None
    addressing_style: str | None = None  # "path" for MinIO and most local services
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        cleaned = self.prefix.strip("/")
        if not self.bucket or not cleaned or ".." in cleaned.split("/"):
            raise ValueError(f"unsafe S3 output location s3://{self.bucket}/{self.prefix}")
        object.__setattr__(self, "prefix", cleaned)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def name(self) -> str:
        return self.prefix.rsplit("/", 1)[-1]

    def cli_args(self) -> list[str]:
        """The converter command line's description of this location (no secrets)."""
        args = [self.url]
        for option, value in (
            ("--s3-endpoint-url", self.endpoint_url),
            ("--s3-region", self.region),
            ("--s3-addressing-style", self.addressing_style),
        ):
            if value:
                args += [option, value]
        return args

    def env(self) -> dict[str, str]:
        """Credentials for the child's environment (boto3 reads these names)."""
        values = {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }
        return {name: value for name, value in values.items() if value}

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing_style: str | None = None,
    ) -> S3Location:
        """``s3://bucket/prefix``; credentials come from boto3's usual chain (environment)."""
        if not url.startswith("s3://"):
            raise ValueError(f"not an s3:// URL: {url}")
        bucket, _, prefix = url[len("s3://") :].partition("/")
        return cls(
            bucket=bucket,
            prefix=prefix,
            endpoint_url=endpoint_url,
            region=region,
            addressing_style=addressing_style,
        )

    def client(self, *, max_connections: int = 16) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            max_pool_connections=max_connections,
            retries={"max_attempts": 5, "mode": "standard"},
            s3={"addressing_style": self.addressing_style} if self.addressing_style else None,
        )
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            aws_session_token=self.session_token,
            config=config,
        )


# --- Writing --------------------------------------------------------------------------------------


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


def s3_listing(client: Any, location: S3Location) -> dict[str, int]:
    prefix = location.prefix + "/"
    found: dict[str, int] = {}
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=location.bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"][len(prefix) :]] = int(item["Size"])
    return found


_TRANSIENT_CODES = {
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "Throttling",
}


def storage_unavailable(error: BaseException) -> bool:
    """True for an object store that could not be reached or answered 5xx / "slow down":
    the conversion is worth retrying later (the worker does, see processing.jobs)."""
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, BotoConnectionError | HTTPClientError | ConnectionError):
            return True
        if isinstance(current, TimeoutError):
            return True
        if isinstance(current, ClientError):
            code = str(current.response.get("Error", {}).get("Code", ""))
            status = int(current.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            return code in _TRANSIENT_CODES or status >= 500
        current = current.__cause__ or current.__context__
    return False


def _zarr_store_base() -> type[Store]:
    from zarr.abc.store import Store

    return Store


class S3ReadStore(_zarr_store_base()):  # type: ignore[misc]
    """A read-only zarr store over an S3 prefix through boto3 (ranged GETs for shards).

    zarr-python's own S3 route (FsspecStore) needs a recent s3fs; boto3 is already here.
    Calls run in worker threads so zarr's event loop is never blocked.
    """

    supports_writes = False
    supports_deletes = False
    supports_listing = True

    def __init__(self, location: S3Location, *, client: Any = None) -> None:
        super().__init__(read_only=True)
        self.location = location
        self._client = client or location.client()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, S3ReadStore) and other.location == self.location

    def __hash__(self) -> int:
        return hash(self.location)

    def _key(self, key: str) -> str:
        return f"{self.location.prefix}/{key}" if key else self.location.prefix

    def _get(self, key: str, byte_range: ByteRequest | None) -> bytes | None:
        from zarr.abc.store import OffsetByteRequest, RangeByteRequest, SuffixByteRequest

        kwargs: dict[str, Any] = {"Bucket": self.location.bucket, "Key": self._key(key)}
        if isinstance(byte_range, RangeByteRequest):
            if byte_range.end <= byte_range.start:
                return b""
            kwargs["Range"] = f"bytes={byte_range.start}-{byte_range.end - 1}"
        elif isinstance(byte_range, OffsetByteRequest):
            kwargs["Range"] = f"bytes={byte_range.offset}-"
        elif isinstance(byte_range, SuffixByteRequest):
            kwargs["Range"] = f"bytes=-{byte_range.suffix}"
        try:
            response = self._client.get_object(**kwargs)
        except self._client.exceptions.NoSuchKey:
            return None
        return bytes(response["Body"].read())

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        import asyncio

        data = await asyncio.to_thread(self._get, key, byte_range)
        return None if data is None else prototype.buffer.from_bytes(data)

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        return [await self.get(key, prototype, byte_range) for key, byte_range in key_ranges]

    async def exists(self, key: str) -> bool:
        import asyncio

        def head() -> bool:
            try:
                self._client.head_object(Bucket=self.location.bucket, Key=self._key(key))
            except Exception:
                return False
            return True

        return await asyncio.to_thread(head)

    async def set(self, key: str, value: Buffer) -> None:
        raise NotImplementedError("read-only store")

    async def delete(self, key: str) -> None:
        raise NotImplementedError("read-only store")

    async def list(self) -> AsyncIterator[str]:
        import asyncio

        for key in await asyncio.to_thread(s3_listing, self._client, self.location):
            yield key

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        async for key in self.list():
            if key.startswith(prefix):
                yield key

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        seen: set[str] = set()
        async for key in self.list_prefix(prefix):
            child = key[len(prefix) :].split("/", 1)[0]
            if child not in seen:
                seen.add(child)
                yield child
