"""Reading from a storage: local copies, seekable views, presigned GET URLs, listings."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from boto3.s3.transfer import TransferConfig
from django.conf import settings
from django.core.files.storage import Storage

from submissions.core import ranged
from submissions.core.storage.clients import (
    MULTIPART_CHUNKSIZE,
    MULTIPART_THRESHOLD,
    _bucket,
    _folder_path,
    _require_prefix,
    is_s3,
    public_client,
    s3_client,
)


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
