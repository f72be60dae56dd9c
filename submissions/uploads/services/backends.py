"""Where upload bytes go: the embedded folder storage or an S3 bucket, behind one interface.

Folder storage fills the upload's file (a sparse file) part by part at fixed offsets, so
completing needs no concatenation. On Linux a part is written straight into its range under
a lock on that range (uploads.services.regions); elsewhere it streams into a temporary file,
is checked there, and only an accepted part is copied in (`receive_part` and `place`). S3
keeps its own multipart state (each part bound to its checksum by the signed URL); the server
only signs URLs and asks S3 what arrived.
"""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings
from django.core import signing
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone

from submissions.core import storage as core_storage
from submissions.uploads.models import DataFile
from submissions.uploads.services import checksums, regions

READ_CHUNK = 1024 * 1024
PART_URL_SALT = "aperture.upload-part"


@dataclass(frozen=True)
class PartInfo:
    number: int
    size: int
    etag: str
    checksum: str


@dataclass(frozen=True)
class PartTarget:
    url: str
    headers: dict[str, str]
    expires_at: datetime
    method: str = "PUT"


class Backend(Protocol):
    name: str

    def start(self, *, key: str, algorithm: str) -> str: ...

    def part_target(self, *, datafile: DataFile, number: int, checksum: str) -> PartTarget: ...

    def list_parts(self, *, datafile: DataFile) -> list[PartInfo]: ...

    def finish(self, *, datafile: DataFile, parts: list[PartInfo]) -> None: ...

    def discard(self, *, datafile: DataFile) -> None: ...

    def stream(self, *, key: str) -> Iterator[bytes]: ...


@dataclass(frozen=True)
class ReceivedPart:
    """A part whose bytes matched their checksum, waiting in a temporary file."""

    path: Path
    etag: str

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def _copy_range(source: int, target: int, size: int, offset: int) -> None:
    """Copy `size` bytes from the start of `source` to `offset` in `target`.

    In the kernel where it can (copy_file_range: no copy at all on file systems with
    reflinks), else through one buffer.
    """
    done = 0
    copy_file_range = getattr(os, "copy_file_range", None)  # Linux only
    try:
        while copy_file_range is not None and done < size:
            copied = copy_file_range(source, target, size - done, done, offset + done)
            if copied == 0:
                break
            done += copied
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise
    while done < size:
        chunk = os.pread(source, min(READ_CHUNK, size - done), done)
        if not chunk:
            raise OSError(f"the part's temporary file ended after {done} of {size} bytes")
        view = memoryview(chunk)
        while view:
            written = os.pwrite(target, view, offset + done)
            view = view[written:]
            done += written


def _expiry() -> tuple[int, datetime]:
    seconds = settings.PRESIGNED_URL_EXPIRY_SECONDS
    return seconds, timezone.now() + timedelta(seconds=seconds)


class FolderBackend:
    name = "folder"

    def __init__(self, storage: Any) -> None:
        self.storage = storage

    def path(self, key: str) -> Path:
        return Path(self.storage.path(key))

    def start(self, *, key: str, algorithm: str) -> str:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        return ""

    def part_target(self, *, datafile: DataFile, number: int, checksum: str) -> PartTarget:
        _, expires_at = _expiry()
        token = signing.dumps(
            {"f": str(datafile.pk), "n": number, "c": checksum}, salt=PART_URL_SALT, compress=True
        )
        url = reverse("upload-part-data", args=[datafile.pk, number]) + f"?token={token}"
        header = checksums.HEADERS[datafile.checksum_algorithm]  # type: ignore[index]
        return PartTarget(url=url, headers={header: checksum}, expires_at=expires_at)

    def list_parts(self, *, datafile: DataFile) -> list[PartInfo]:
        return [
            PartInfo(number=p.number, size=p.size, etag=p.etag, checksum=p.checksum)
            for p in datafile.parts.exclude(etag="")
        ]

    def receive_part(
        self, *, datafile: DataFile, number: int, body: IO[bytes], size: int, checksum: str
    ) -> ReceivedPart:
        """Stream `size` bytes from `body` into a temporary file beside the upload, hashing as
        they pass; the temporary file is kept only when the checksum matches.

        Nothing reaches the upload's file here: `place` copies an accepted part into it.
        Memory stays at one read buffer whatever the part size.
        """
        final = self.path(datafile.storage_key)
        # ".tmp-" names are skipped by storage listings (submissions.core.storage.reading._list).
        temporary = final.with_name(f".tmp-{final.name}-{number}-{uuid.uuid4().hex}")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
            try:
                etag = regions.write_range(
                    fd, offset=0, body=body, size=size, part=number, zero_on_failure=False,
                    algorithm=datafile.checksum_algorithm, checksum=checksum,
                )  # fmt: skip
            finally:
                os.close(fd)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return ReceivedPart(path=temporary, etag=etag)

    def place(self, *, datafile: DataFile, number: int, part: ReceivedPart) -> None:
        """Copy an accepted part into the upload's file at its offset.

        The caller holds the upload's row lock and has checked the upload is still in
        progress and the part not yet accepted, so completion and abort wait for this copy
        and no part is ever written twice. The upload's file is never created here: once
        an abort has deleted it, nothing brings it back.
        """
        offset = (number - 1) * datafile.part_size
        size = part.path.stat().st_size
        source = os.open(part.path, os.O_RDONLY)
        try:
            target = os.open(self.path(datafile.storage_key), os.O_WRONLY)
            try:
                _copy_range(source, target, size, offset)
            finally:
                os.close(target)
        finally:
            os.close(source)

    def finish(self, *, datafile: DataFile, parts: list[PartInfo]) -> None:
        path = self.path(datafile.storage_key)
        if path.stat().st_size != datafile.size:
            # Parts are written at fixed offsets, so only a bug or a tampered disk gets here.
            os.truncate(path, datafile.size)

    def discard(self, *, datafile: DataFile) -> None:
        self.path(datafile.storage_key).unlink(missing_ok=True)

    def stream(self, *, key: str) -> Iterator[bytes]:
        # 1 MiB reads: each 8 MiB bytes object was a fresh mmap (page faults on every read),
        # which made the fixity hash ~1.5x slower than `openssl dgst` (docs/benchmarks.md).
        with self.path(key).open("rb", buffering=0) as handle:
            while chunk := handle.read(READ_CHUNK):
                yield chunk


class S3Backend:
    name = "s3"

    def __init__(self, storage: Any) -> None:
        self.storage = storage
        self.bucket = storage.bucket_name
        self.client = storage.connection.meta.client

    def start(self, *, key: str, algorithm: str) -> str:
        response = self.client.create_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            ChecksumAlgorithm=checksums.S3_ALGORITHMS[algorithm],  # type: ignore[index]
        )
        return str(response["UploadId"])

    def part_target(self, *, datafile: DataFile, number: int, checksum: str) -> PartTarget:
        seconds, expires_at = _expiry()
        algorithm = datafile.checksum_algorithm
        # Content-Length and the checksum become signed headers: S3 refuses any other bytes.
        url = core_storage.public_client(self.storage).generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": self.bucket,
                "Key": datafile.storage_key,
                "UploadId": datafile.multipart_id,
                "PartNumber": number,
                "ContentLength": datafile.expected_part_size(number),
                checksums.S3_PARAMS[algorithm]: checksum,  # type: ignore[index]
            },
            ExpiresIn=seconds,
        )
        header = checksums.HEADERS[algorithm]  # type: ignore[index]
        return PartTarget(url=url, headers={header: checksum}, expires_at=expires_at)

    def list_parts(self, *, datafile: DataFile) -> list[PartInfo]:
        paginator = self.client.get_paginator("list_parts")
        param = checksums.S3_PARAMS[datafile.checksum_algorithm]  # type: ignore[index]
        signed = dict(datafile.parts.values_list("number", "checksum"))
        found = []
        for page in paginator.paginate(
            Bucket=self.bucket, Key=datafile.storage_key, UploadId=datafile.multipart_id
        ):
            for part in page.get("Parts", []):
                number = int(part["PartNumber"])
                checksum = part.get(param) or signed.get(number, "")
                found.append(PartInfo(number, int(part["Size"]), part["ETag"], checksum))
        return found

    def finish(self, *, datafile: DataFile, parts: list[PartInfo]) -> None:
        param = checksums.S3_PARAMS[datafile.checksum_algorithm]  # type: ignore[index]
        listed = [
            {"PartNumber": p.number, "ETag": p.etag, **({param: p.checksum} if p.checksum else {})}
            for p in sorted(parts, key=lambda p: p.number)
        ]
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=datafile.storage_key,
            UploadId=datafile.multipart_id,
            MultipartUpload={"Parts": listed},
        )

    def discard(self, *, datafile: DataFile) -> None:
        from botocore.exceptions import ClientError

        if datafile.multipart_id:
            try:
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=datafile.storage_key, UploadId=datafile.multipart_id
                )
            except ClientError as exc:  # already completed or aborted: nothing left to free
                if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                    raise
        self.client.delete_object(Bucket=self.bucket, Key=datafile.storage_key)

    def stream(self, *, key: str) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        try:
            yield from body.iter_chunks(8 * READ_CHUNK)
        finally:
            body.close()


def staging_backend() -> FolderBackend | S3Backend:
    storage = storages["staging"]
    if hasattr(storage, "bucket_name"):
        return S3Backend(storage)
    return FolderBackend(storage)


def read_token(token: str) -> dict[str, Any]:
    """The part a folder-storage URL was signed for; raises signing errors when forged/expired."""
    data = signing.loads(token, salt=PART_URL_SALT, max_age=settings.PRESIGNED_URL_EXPIRY_SECONDS)
    return dict(data)
