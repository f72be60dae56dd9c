"""Reading conversion output back from S3 (S3ReadStore, a read-only zarr store)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

from submissions.conversion.s3.location import S3Location, s3_listing

if TYPE_CHECKING:
    from zarr.abc.store import ByteRequest, Store
    from zarr.core.buffer import Buffer, BufferPrototype


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
