"""Moving a whole OME-Zarr tree between the staging and archive storages without the bytes
passing through Aperture, and deleting one.

- S3 to S3: a server-side copy of every object (boto3's managed `copy`, which turns into a
  multipart `UploadPartCopy` above the multipart threshold), objects in parallel.
- Folder to folder: a hard link of every file, so publishing a terabyte moves no byte; a link
  across filesystems is refused by the kernel (EXDEV) and falls back to a copy.

Both are idempotent: a retried copy lands on the same keys and replaces what is there, and
the target is verified against the source listing (sizes; extra objects deleted) before the
caller records anything. The source is never changed; deleting it is a separate step, done
only once the copy is recorded.
"""

from __future__ import annotations

import errno
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from boto3.s3.transfer import TransferConfig
from django.conf import settings
from django.core.files.storage import Storage

from submissions.core import storage as st


def copy_tree(
    *,
    source: Storage,
    source_prefix: str,
    target: Storage,
    target_prefix: str,
    on_progress: Callable[[float], None] | None = None,
) -> st.TreeReport:
    """Copy every object under `source_prefix` to `target_prefix`; verify; report the tree."""
    source_prefix, target_prefix = (
        st._require_prefix(source_prefix),
        st._require_prefix(target_prefix),
    )
    listed = st.list_tree(storage=source, prefix=source_prefix)
    if not listed:
        raise st.StorageMismatch(f"nothing to copy under {source_prefix}")
    done = 0
    lock = threading.Lock()

    def finished() -> None:
        nonlocal done
        with lock:
            done += 1
            fraction = done / len(listed)
        if on_progress is not None:
            on_progress(fraction)

    if st.is_s3(source) and st.is_s3(target):
        client = st.s3_client(target)
        config = TransferConfig(
            multipart_threshold=st.MULTIPART_THRESHOLD,
            multipart_chunksize=st.MULTIPART_CHUNKSIZE,
            max_concurrency=2,
        )
        bucket_from, bucket_to = st._bucket(source), st._bucket(target)

        def send(relative: str) -> None:
            client.copy(
                {"Bucket": bucket_from, "Key": source_prefix + relative},
                bucket_to,
                target_prefix + relative,
                Config=config,
            )
            finished()

    elif not st.is_s3(source) and not st.is_s3(target):

        def send(relative: str) -> None:
            _link(
                st._folder_path(source, source_prefix + relative),
                st._folder_path(target, target_prefix + relative),
            )
            finished()

    else:
        raise NotImplementedError("copying between S3 and folder storage is not supported")
    st._run_parallel(send, sorted(listed), workers=settings.ARCHIVE_PUSH_WORKERS)
    return st.verify_tree(storage=target, prefix=target_prefix, expected=listed, delete_extra=True)


def _link(source: Path, target: Path) -> None:
    """Hard-link `source` at `target` (replacing it atomically); copy across filesystems."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".tmp-{threading.get_ident()}-{target.name}")
    temporary.unlink(missing_ok=True)
    try:
        os.link(source, temporary)
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.copyfile(source, temporary)
    temporary.replace(target)


def delete_tree(*, storage: Storage, prefix: str) -> int:
    """Delete every object under `prefix` (never a root); returns how many were deleted."""
    prefix = st._require_prefix(prefix)
    listed = st.list_tree(storage=storage, prefix=prefix)
    st.delete_keys(storage=storage, keys=[prefix + relative for relative in listed])
    if not st.is_s3(storage):
        shutil.rmtree(st._folder_path(storage, prefix), ignore_errors=True)
    return len(listed)
