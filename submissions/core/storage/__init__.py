"""Object storage helpers: one package, the same calls for S3 and for the embedded folders.

`storages["staging"]` and `storages["archive"]` are configured in settings (`STORAGES`). With
S3 the helpers talk to the bucket through the storage's own boto3 client (so endpoint,
region and credentials come from one place); with folder storage they use the filesystem.
Writes overwrite (a retried transfer must land on the same key), deletes refuse a bucket or
folder root and run in batches.

Callers use `from submissions.core import storage` and `storage.<name>`; the parts are
`clients` (storages, boto3 clients, transfer sizes, the root guard), `failures` (what is worth
retrying), `reading` and `writing`. Functions called through this package (`storage.upload_tree`)
can be monkeypatched here; a constant such as MULTIPART_THRESHOLD is read by the part that
defines it (`storage.clients`), so patch it there.
"""

from __future__ import annotations

from submissions.core.storage.clients import (
    CHECKSUM_ALGORITHM,
    MULTIPART_CHUNKSIZE,
    MULTIPART_THRESHOLD,
    PUSH_CHUNKSIZE,
    _bucket,
    _folder_path,
    _require_prefix,
    archive,
    is_s3,
    public_client,
    reading_client,
    s3_client,
    staging,
)
from submissions.core.storage.failures import StorageMismatch, is_transient
from submissions.core.storage.reading import (
    _list,
    download_url,
    exists,
    list_all,
    list_tree,
    local_copy,
    open_object,
    open_seekable,
)
from submissions.core.storage.writing import (
    TreeReport,
    _run_parallel,
    copy_object,
    delete_keys,
    upload_tree,
    verify_tree,
    write_bytes,
)

__all__ = [
    "CHECKSUM_ALGORITHM",
    "MULTIPART_CHUNKSIZE",
    "MULTIPART_THRESHOLD",
    "PUSH_CHUNKSIZE",
    "StorageMismatch",
    "TreeReport",
    "_bucket",
    "_folder_path",
    "_list",
    "_require_prefix",
    "_run_parallel",
    "archive",
    "copy_object",
    "delete_keys",
    "download_url",
    "exists",
    "is_s3",
    "is_transient",
    "list_all",
    "list_tree",
    "local_copy",
    "open_object",
    "open_seekable",
    "public_client",
    "reading_client",
    "s3_client",
    "staging",
    "upload_tree",
    "verify_tree",
    "write_bytes",
]
