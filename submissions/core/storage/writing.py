"""Writing to a storage: whole trees in parallel (verified against a listing), single
objects, copies between storages, and batched deletes. Writes overwrite (a retried transfer
must land on the same key).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig
from django.conf import settings
from django.core.files.storage import Storage

from submissions.core.storage.clients import (
    CHECKSUM_ALGORITHM,
    MULTIPART_CHUNKSIZE,
    MULTIPART_THRESHOLD,
    PUSH_CHUNKSIZE,
    _bucket,
    _folder_path,
    _require_prefix,
    is_s3,
    s3_client,
)
from submissions.core.storage.failures import StorageMismatch
from submissions.core.storage.reading import list_tree

_DELETE_BATCH = 1000


@dataclass(frozen=True)
class TreeReport:
    object_count: int
    total_bytes: int


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
