"""Object storage helpers: one module, the same calls for S3 and for the embedded folders.

`storages["staging"]` and `storages["archive"]` are configured in settings (`STORAGES`). With
S3 the helpers talk to the bucket through the storage's own boto3 client (so endpoint,
region and credentials come from one place); with folder storage they use the filesystem.
Writes overwrite (a retried transfer must land on the same key), deletes refuse a bucket or
folder root and run in batches.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from boto3.s3.transfer import TransferConfig
from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages

from submissions.core import ranged

# Objects up to this size go in one PUT; larger ones as a multipart upload of these parts.
MULTIPART_THRESHOLD = 64 * 2**20
MULTIPART_CHUNKSIZE = 64 * 2**20
# Parts of a pushed tree's large objects (shards): boto3's own default part size. More parts in
# flight beat fewer large ones (`make bench-publish`: 1.22 s against 1.57 s with 64 MiB parts
# for the same 212 MB tree); s3transfer enlarges parts itself past 10,000 of them.
PUSH_CHUNKSIZE = 8 * 2**20
CHECKSUM_ALGORITHM = "CRC32"
_DELETE_BATCH = 1000
_TRANSIENT_CODES = {
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "Throttling",
    "ThrottlingException",
    "503",
    "500",
    "502",
    "504",
}


class StorageMismatch(Exception):
    """What is in the bucket is not what we wrote (missing object or wrong size)."""


@dataclass(frozen=True)
class TreeReport:
    object_count: int
    total_bytes: int


def staging() -> Storage:
    return storages["staging"]


def archive() -> Storage:
    return storages["archive"]


def is_s3(storage: Storage) -> bool:
    return hasattr(storage, "bucket_name") and not isinstance(storage, FileSystemStorage)


def s3_client(storage: Storage) -> Any:
    """The boto3 client behind a django-storages S3Storage (thread-safe, shareable)."""
    return storage.connection.meta.client  # type: ignore[attr-defined]


_public_clients: dict[str, Any] = {}
_public_lock = threading.Lock()


def public_client(storage: Storage) -> Any:
    """The client that signs URLs a browser or CLI will follow.

    With S3_PUBLIC_ENDPOINT_URL set (the servers reach S3 at an internal name, people at
    another), a client for that endpoint with the same credentials, region and addressing;
    signing needs no network, so it is never used to send a request. Otherwise the
    storage's own client.
    """
    endpoint = settings.S3_PUBLIC_ENDPOINT_URL
    if not endpoint:
        return s3_client(storage)
    with _public_lock:
        client = _public_clients.get(endpoint)
        if client is None:
            import boto3

            # Same credentials as the storage: its own keys if configured, else boto3's chain.
            client = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint,
                region_name=settings.S3_REGION_NAME,
                aws_access_key_id=getattr(storage, "access_key", None) or None,
                aws_secret_access_key=getattr(storage, "secret_key", None) or None,
                aws_session_token=getattr(storage, "security_token", None) or None,
                config=s3_client(storage).meta.config,
            )
            _public_clients[endpoint] = client
        return client


_reading_clients: dict[int, Any] = {}


def reading_client(storage: Storage) -> Any:
    """A client for reads whose bytes Aperture hashes itself (fixity): the same endpoint,
    credentials and settings as the storage's own, but botocore checks a response against
    the object's stored checksum only when the API requires it. A multipart object's stored
    checksum is a composite of its parts; moto's server (the tests' and the acceptance run's
    S3) reports one for server-side multipart copies that botocore takes for the whole
    object's, and refused good bytes. Aperture's own SHA-256 of every byte is the check."""
    from botocore.config import Config

    client = s3_client(storage)
    with _public_lock:
        reader = _reading_clients.get(id(client))
        if reader is None:
            import boto3

            reader = boto3.session.Session().client(
                "s3",
                endpoint_url=client.meta.endpoint_url,
                region_name=client.meta.region_name,
                aws_access_key_id=getattr(storage, "access_key", None) or None,
                aws_secret_access_key=getattr(storage, "secret_key", None) or None,
                aws_session_token=getattr(storage, "security_token", None) or None,
                config=client.meta.config.merge(
                    Config(response_checksum_validation="when_required")
                ),
            )
            _reading_clients[id(client)] = reader
        return reader


def _bucket(storage: Storage) -> str:
    return str(storage.bucket_name)  # type: ignore[attr-defined]


def _folder_path(storage: Storage, key: str) -> Path:
    return Path(storage.path(key))


def _require_prefix(prefix: str) -> str:
    cleaned = prefix.strip("/")
    if not cleaned or "/" not in cleaned or ".." in cleaned.split("/"):
        # datasets/<accession>/... at the least: never a bucket or folder root.
        raise ValueError(f"refusing to operate on a storage root or unsafe prefix {prefix!r}")
    return cleaned + "/"


def is_transient(error: BaseException) -> bool:
    """S3 5xx/throttling, lost or refused connections, timeouts: worth retrying later."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(
            current,
            EndpointConnectionError
            | ConnectionClosedError
            | ConnectTimeoutError
            | ReadTimeoutError
            | ConnectionError
            | socket.timeout
            | TimeoutError,
        ):
            return True
        if isinstance(current, ClientError):
            code = str(current.response.get("Error", {}).get("Code", ""))
            status = int(current.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            return code in _TRANSIENT_CODES or status >= 500
        if isinstance(current, StorageMismatch):
            return True
        if "S3UploadFailedError" in type(current).__name__ and any(
            marker in str(current) for marker in ("503", "500", "SlowDown", "Connection", "timed")
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


# --- Reading -----------------------------------------------------------------------------------


@contextlib.contextmanager
def local_copy(*, storage: Storage, key: str, directory: Path, name: str) -> Iterator[Path]:
    """A local path holding the object's bytes, named `name` (converters print file names).

    With folder storage this is a symlink to the stored file (no copy); with S3 the object is
    streamed to `directory` (ranged, parallel GETs; memory stays bounded).
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    if is_s3(storage):
        config = TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD,
            multipart_chunksize=MULTIPART_CHUNKSIZE,
            max_concurrency=8,
        )
        s3_client(storage).download_file(_bucket(storage), key, str(target), Config=config)
    else:
        target.unlink(missing_ok=True)
        target.symlink_to(_folder_path(storage, key))
    try:
        yield target
    finally:
        target.unlink(missing_ok=True)


def open_object(*, storage: Storage, key: str) -> IO[bytes]:
    return storage.open(key, "rb")


@contextlib.contextmanager
def open_seekable(*, storage: Storage, key: str, name: str) -> Iterator[IO[bytes]]:
    """A seekable binary file over the object that reads only the bytes asked for.

    For readers that need a few parts of a large object (a TIFF's header and metadata): with
    S3 every read is a ranged GET (submissions.core.ranged, nothing lands on disk), with folder
    storage it is the stored file itself. `name` names the file in the reader's messages.
    """
    if is_s3(storage):
        with ranged.open_ranged(
            client=s3_client(storage), bucket=_bucket(storage), key=key, name=name
        ) as handle:
            yield handle
    else:
        with _folder_path(storage, key).open("rb") as handle:
            yield handle


def exists(*, storage: Storage, key: str) -> bool:
    return storage.exists(key)


def download_url(*, storage: Storage, key: str, filename: str | None = None) -> str | None:
    """A short-lived presigned GET URL with S3; None with folder storage (stream instead)."""
    if not is_s3(storage):
        return None
    params: dict[str, str] = {"Bucket": _bucket(storage), "Key": key}
    if filename:
        safe = filename.replace('"', "").replace("\\", "")
        params["ResponseContentDisposition"] = f'attachment; filename="{safe}"'
    return str(
        public_client(storage).generate_presigned_url(
            "get_object", Params=params, ExpiresIn=settings.PRESIGNED_URL_EXPIRY_SECONDS
        )
    )


def list_tree(*, storage: Storage, prefix: str) -> dict[str, int]:
    """Every object under `prefix`: key relative to the prefix -> size in bytes."""
    return _list(storage=storage, prefix=_require_prefix(prefix))


def list_all(*, storage: Storage) -> dict[str, int]:
    """Every object in the bucket or folder (read-only: for backup manifests)."""
    return _list(storage=storage, prefix="")


def _list(*, storage: Storage, prefix: str) -> dict[str, int]:
    found: dict[str, int] = {}
    if is_s3(storage):
        paginator = s3_client(storage).get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=_bucket(storage), Prefix=prefix):
            for item in page.get("Contents", []):
                found[item["Key"][len(prefix) :]] = int(item["Size"])
        return found
    root = _folder_path(storage, prefix)
    if not root.is_dir():
        return found
    for dirpath, _dirs, files in os.walk(root):
        for file_name in files:
            path = Path(dirpath) / file_name
            if file_name.startswith(".tmp-"):
                continue
            found[path.relative_to(root).as_posix()] = path.stat().st_size
    return found


# --- Writing -----------------------------------------------------------------------------------


def _local_tree(root: Path) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for dirpath, _dirs, names in os.walk(root):
        for file_name in names:
            path = Path(dirpath) / file_name
            files[path.relative_to(root).as_posix()] = path
    return files


def _folder_write(storage: Storage, key: str, source: Path | bytes) -> None:
    target = _folder_path(storage, key)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".tmp-{threading.get_ident()}-{target.name}")
    if isinstance(source, bytes):
        temporary.write_bytes(source)
    else:
        shutil.copyfile(source, temporary)
    # Readers see the old object or the new one, never half of one.
    temporary.replace(target)


def _s3_put_file(client: Any, bucket: str, key: str, path: Path, manager: Any) -> None:
    size = path.stat().st_size
    if size >= MULTIPART_THRESHOLD:
        # Multipart with a checksum per part; the transfer manager runs the parts in parallel.
        manager.upload(
            str(path), bucket, key, extra_args={"ChecksumAlgorithm": CHECKSUM_ALGORITHM}
        ).result()
        return
    # The open file, not its bytes: 16 workers each holding an object of up to 64 MiB would
    # hold a gigabyte. botocore reads the stream for the checksum, seeks back and sends it.
    with path.open("rb") as handle:
        client.put_object(Bucket=bucket, Key=key, Body=handle, ChecksumAlgorithm=CHECKSUM_ALGORITHM)


def upload_tree(
    *,
    local_root: Path,
    storage: Storage,
    prefix: str,
    max_workers: int | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> TreeReport:
    """Copy every file under `local_root` to `prefix` in parallel, then verify the listing.

    Objects under `prefix` that the local tree does not have (left by an earlier attempt)
    are deleted; a missing object or a size mismatch raises StorageMismatch (transient).
    """
    prefix = _require_prefix(prefix)
    files = _local_tree(local_root)
    expected = {relative: path.stat().st_size for relative, path in files.items()}
    workers = max_workers or settings.ARCHIVE_PUSH_WORKERS
    total = max(sum(expected.values()), 1)
    done_bytes = 0
    lock = threading.Lock()

    def finished(size: int) -> None:
        nonlocal done_bytes
        with lock:
            done_bytes += size
            fraction = done_bytes / total
        if on_progress is not None:
            on_progress(min(fraction, 1.0))

    if is_s3(storage):
        client, bucket = s3_client(storage), _bucket(storage)
        from boto3.s3.transfer import create_transfer_manager

        config = TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD,
            multipart_chunksize=PUSH_CHUNKSIZE,
            max_concurrency=workers,
        )
        manager = create_transfer_manager(client, config)

        def send(relative: str) -> None:
            _s3_put_file(client, bucket, prefix + relative, files[relative], manager)
            finished(expected[relative])

    else:
        manager = None

        def send(relative: str) -> None:
            _folder_write(storage, prefix + relative, files[relative])
            finished(expected[relative])

    try:
        _run_parallel(send, sorted(files), workers=workers)
    finally:
        if manager is not None:
            manager.shutdown()
    return verify_tree(storage=storage, prefix=prefix, expected=expected, delete_extra=True)


def _run_parallel(work: Callable[[str], None], items: list[str], *, workers: int) -> None:
    """Run `work` on every item; the first failure cancels what has not started and raises."""
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        futures: list[Future[None]] = [pool.submit(work, item) for item in items]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        for future in done:
            future.result()


def verify_tree(
    *, storage: Storage, prefix: str, expected: dict[str, int], delete_extra: bool = False
) -> TreeReport:
    listed = list_tree(storage=storage, prefix=prefix)
    problems = [
        f"{relative}: expected {size} B, found {listed.get(relative, 'nothing')}"
        for relative, size in expected.items()
        if listed.get(relative) != size
    ]
    if problems:
        raise StorageMismatch(
            f"{len(problems)} object(s) under {prefix} differ: " + "; ".join(problems[:5])
        )
    extra = sorted(set(listed) - set(expected))
    if extra:
        if not delete_extra:
            raise StorageMismatch(f"{len(extra)} unexpected object(s) under {prefix}")
        delete_keys(storage=storage, keys=[_require_prefix(prefix) + key for key in extra])
    return TreeReport(object_count=len(expected), total_bytes=sum(expected.values()))


def write_bytes(*, storage: Storage, key: str, data: bytes, content_type: str) -> None:
    if is_s3(storage):
        s3_client(storage).put_object(
            Bucket=_bucket(storage),
            Key=key,
            Body=data,
            ContentType=content_type,
            ChecksumAlgorithm=CHECKSUM_ALGORITHM,
        )
    else:
        _folder_write(storage, key, data)


def copy_object(*, source: Storage, source_key: str, target: Storage, target_key: str) -> int:
    """Copy one object between storages (server-side when both are S3); returns its size."""
    if is_s3(source) and is_s3(target):
        client = s3_client(target)
        config = TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=MULTIPART_CHUNKSIZE
        )
        client.copy(
            {"Bucket": _bucket(source), "Key": source_key},
            _bucket(target),
            target_key,
            ExtraArgs={"ChecksumAlgorithm": CHECKSUM_ALGORITHM},
            Config=config,
        )
        head = client.head_object(Bucket=_bucket(target), Key=target_key)
        return int(head["ContentLength"])
    if not is_s3(source) and not is_s3(target):
        _folder_write(target, target_key, _folder_path(source, source_key))
        return _folder_path(target, target_key).stat().st_size
    raise NotImplementedError("copying between S3 and folder storage is not supported")


def delete_keys(*, storage: Storage, keys: list[str]) -> None:
    if is_s3(storage):
        client, bucket = s3_client(storage), _bucket(storage)
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            client.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
            )
        return
    for key in keys:
        _folder_path(storage, key).unlink(missing_ok=True)
