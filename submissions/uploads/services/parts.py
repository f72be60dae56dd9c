"""The parts of an upload: where to send each one, taking one (folder storage), and what
arrived. An accepted part is bound to its checksum and never replaced."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import IO

from django.db import transaction
from django.utils import timezone

from submissions.core.errors import NotFound, ValidationFailed
from submissions.lifecycle import services as lifecycle
from submissions.uploads.models import DataFile, UploadPart
from submissions.uploads.services import checksums, regions
from submissions.uploads.services.backends import (
    FolderBackend,
    PartInfo,
    PartTarget,
    S3Backend,
    staging_backend,
)
from submissions.uploads.services.errors import (
    PartAlreadyReceived,
    SizeMismatch,
    UploadNotActive,
)
from submissions.uploads.services.protocol import require_active, touch

MAX_SIGNED_AT_ONCE = 100


def sign_part(*, datafile: DataFile, number: int, checksum: str) -> PartTarget:
    """Where to PUT part `number` and with which headers. The checksum is bound to the URL."""
    return sign_parts(datafile=datafile, parts=[(number, checksum)])[0]


def sign_parts(*, datafile: DataFile, parts: list[tuple[int, str]]) -> list[PartTarget]:
    """Sign several parts in one go (a client signs the next few parts it will send in one
    request instead of one each): the same rules as for one part, all or none."""
    require_active(datafile)
    lifecycle.require_not_frozen(submission=datafile.submission)
    if not 1 <= len(parts) <= MAX_SIGNED_AT_ONCE:
        raise ValidationFailed(
            fields={"parts": [f"Sign between 1 and {MAX_SIGNED_AT_ONCE} parts at once."]}
        )
    if len({number for number, _ in parts}) != len(parts):
        raise ValidationFailed(fields={"parts": ["Each part number may appear once."]})
    for number, checksum in parts:
        _check_part(datafile, number, checksum)
    backend = staging_backend()
    with transaction.atomic():  # on S3 a refusal unbinds the parts bound before it
        targets = [_sign_one(backend, datafile, number, checksum) for number, checksum in parts]
    touch(datafile)
    return targets


def _check_part(datafile: DataFile, number: int, checksum: str) -> None:
    if not 1 <= number <= datafile.part_count:
        raise ValidationFailed(
            fields={"number": [f"Parts are numbered 1 to {datafile.part_count}."]}
        )
    if not checksums.is_valid(datafile.checksum_algorithm, checksum):
        raise ValidationFailed(
            fields={
                "checksum": [
                    f"Give the part's {datafile.get_checksum_algorithm_display()} "
                    "as base64, as in S3's x-amz-checksum headers."
                ]
            }
        )
    _accepted_etag(datafile, number, checksum)


def _sign_one(
    backend: FolderBackend | S3Backend, datafile: DataFile, number: int, checksum: str
) -> PartTarget:
    if backend.name == "s3":
        # S3 keeps the parts and would let a new PUT replace one, so a part number is signed
        # for its first checksum only (kept for completion too); get_or_create makes two
        # racing signatures agree on one.
        signed, _ = UploadPart.objects.get_or_create(
            datafile=datafile,
            number=number,
            defaults={"size": datafile.expected_part_size(number), "checksum": checksum},
        )
        if signed.checksum != checksum:
            raise PartAlreadyReceived(
                f"Part {number} was already sent with other bytes and cannot be replaced. "
                "If the file changed while it was being sent, start a new upload."
            )
    return backend.part_target(datafile=datafile, number=number, checksum=checksum)


def _accepted_etag(datafile: DataFile, number: int, checksum: str) -> str | None:
    """The ETag of part `number` if it was already accepted with this checksum (a retried
    PUT whose answer was lost), None if it has not arrived; PartAlreadyReceived when it
    arrived with other bytes: an accepted part is never replaced."""
    accepted = UploadPart.objects.filter(datafile=datafile, number=number).exclude(etag="")
    existing = accepted.values_list("checksum", "etag").first()
    if existing is None:
        return None
    if existing[0] != checksum:
        raise PartAlreadyReceived(
            f"Part {number} has already arrived with other bytes and cannot be replaced. "
            "If the file changed while it was being sent, start a new upload."
        )
    return existing[1]


def receive_part(
    *, datafile_id: str, number: int, checksum: str, body: IO[bytes], content_length: int
) -> str:
    """Folder storage: take one part, check it against its checksum, and record it. Returns
    its ETag.

    Called from a URL the server signed for this part and checksum, so it needs no session.
    No database lock or transaction is held while the bytes arrive. A part is written
    straight into its range of the upload's file under a lock on that range
    (uploads.services.regions), or where there are no such locks into a temporary file that
    is copied in once it matched. Either way a late or repeated PUT never changes bytes
    already accepted, and nothing is accepted once the upload was completed or aborted.
    """
    datafile = DataFile.objects.filter(pk=datafile_id).first()
    if datafile is None:
        raise NotFound("No such upload.")
    expected = datafile.expected_part_size(number)
    if content_length != expected:
        raise SizeMismatch(
            f"Part {number} must be {expected} bytes (the part size is {datafile.part_size}); "
            f"{content_length} were sent."
        )
    try:
        require_active(datafile)
        already = _accepted_etag(datafile, number, checksum)
    except (UploadNotActive, PartAlreadyReceived):
        _drain(body, expected)
        raise
    if already is not None:
        _drain(body, expected)
        return already
    backend = staging_backend()
    if not isinstance(backend, FolderBackend):
        raise NotFound("Parts go straight to object storage.")
    if regions.AVAILABLE:
        return _receive_in_place(backend, datafile, number, checksum, body, expected)
    part = backend.receive_part(
        datafile=datafile, number=number, body=body, size=expected, checksum=checksum
    )
    try:
        return _accept(
            datafile, number, checksum, part.etag, expected,
            place=lambda locked: backend.place(datafile=locked, number=number, part=part),
        )  # fmt: skip
    finally:
        part.discard()


def _receive_in_place(
    backend: FolderBackend,
    datafile: DataFile,
    number: int,
    checksum: str,
    body: IO[bytes],
    size: int,
) -> str:
    try:
        # Never created here: once an abort has deleted the file, nothing brings it back.
        fd = os.open(backend.path(datafile.storage_key), os.O_WRONLY)
    except FileNotFoundError:
        _drain(body, size)
        raise UploadNotActive(
            "This upload was cancelled; start a new one to send the file again."
        ) from None
    offset = (number - 1) * datafile.part_size
    try:
        with regions.locked_range(fd, offset, size, part=number):
            try:
                already = _accepted_etag(datafile, number, checksum)  # the lock's holder ended
            except PartAlreadyReceived:
                _drain(body, size)
                raise
            if already is not None:
                _drain(body, size)
                return already
            etag = regions.write_range(
                fd, offset=offset, body=body, size=size, part=number,
                algorithm=datafile.checksum_algorithm, checksum=checksum,
            )  # fmt: skip
            return _accept(datafile, number, checksum, etag, size)
    finally:
        os.close(fd)


def _accept(
    datafile: DataFile,
    number: int,
    checksum: str,
    etag: str,
    size: int,
    place: Callable[[DataFile], None] | None = None,
) -> str:
    """Record part `number` as accepted, under the upload's row lock that completion and abort
    take: refused once the upload ended while the bytes were arriving."""
    with transaction.atomic():
        locked = DataFile.objects.select_for_update().get(pk=datafile.pk)
        require_active(locked)  # completed or aborted while the bytes were arriving
        already = _accepted_etag(locked, number, checksum)
        if already is not None:  # the same part, sent twice at once (temporary-file path)
            return already
        if place is not None:
            place(locked)
        UploadPart.objects.update_or_create(
            datafile=locked,
            number=number,
            defaults={
                "size": size,
                "checksum": checksum,
                "etag": etag,
                "received_at": timezone.now(),
            },
        )
        locked.last_activity_at = timezone.now()
        locked.save(update_fields=["last_activity_at"])
    return etag


def _drain(body: IO[bytes], size: int) -> None:
    """Read and drop a body that will not be stored, so the client gets the answer rather
    than a connection reset halfway through its PUT (and does not send it all again)."""
    left = size
    while left > 0:
        chunk = body.read(min(1024 * 1024, left))
        if not chunk:
            return
        left -= len(chunk)


def list_parts(*, datafile: DataFile) -> list[PartInfo]:
    require_active(datafile)
    touch(datafile)
    return sorted(staging_backend().list_parts(datafile=datafile), key=lambda p: p.number)
