"""The upload protocol, the same for the browser, the CLI and the API.

create_upload -> sign_part (per part; the client PUTs the bytes to the URL it gets) ->
list_parts (to resume) -> complete_upload, or abort_upload. Quota is reserved at create,
settled at complete and released at abort or expiry, so no byte lands unaccounted for.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from submissions.accounts.models import User
from submissions.accounts.permissions import can_edit
from submissions.core import dispatch, keys
from submissions.core.errors import InvalidTransition, NotFound, ValidationFailed
from submissions.core.units import format_bytes
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission
from submissions.quotas.services import ledger as quota
from submissions.uploads.models import ChecksumAlgorithm, DataFile, FileStatus, UploadPart
from submissions.uploads.services import checksums
from submissions.uploads.services.backends import PartInfo, PartTarget, staging_backend
from submissions.uploads.services.errors import PartsMissing, SizeMismatch, UploadNotActive
from submissions.uploads.services.names import numbered, sanitise_name

log = logging.getLogger(__name__)
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
LIVE = (FileStatus.UPLOADING, FileStatus.UPLOADED, FileStatus.VERIFIED, FileStatus.INSPECTED)


@dataclass(frozen=True)
class UploadStarted:
    datafile: DataFile
    resumed: bool


def choose_part_size(size: int) -> int:
    """The preferred part size, grown (in whole MiB) until the file fits in 10,000 parts."""
    mib = 1024 * 1024
    part = max(settings.UPLOAD_PART_SIZE, settings.UPLOAD_MIN_PART_SIZE)
    if -(-size // part) > settings.UPLOAD_MAX_PARTS:
        needed = -(-size // settings.UPLOAD_MAX_PARTS)
        part = -(-needed // mib) * mib
    return int(min(part, settings.UPLOAD_MAX_PART_SIZE))


def _check_new_upload(
    *, user: User, submission: Submission, size: int, sha256: str, algorithm: str
) -> None:
    if not can_edit(user=user, submission=submission):
        raise NotFound("No such submission.")
    if submission.status not in lifecycle.EDITABLE_STATUSES:
        raise InvalidTransition(
            "Files can be added only while the submission is a draft or has changes requested."
        )
    lifecycle.require_not_frozen(submission=submission)
    problems: dict[str, list[str]] = {}
    if size < 0:
        problems["size"] = ["The size cannot be negative."]
    elif size > settings.UPLOAD_MAX_FILE_SIZE:
        problems["size"] = [
            f"Files can be at most {format_bytes(settings.UPLOAD_MAX_FILE_SIZE)}; "
            f"this one is {format_bytes(size)}."
        ]
    if sha256 and not SHA256_HEX.match(sha256):
        problems["sha256"] = ["Give the SHA-256 as 64 lowercase hexadecimal characters."]
    if algorithm not in ChecksumAlgorithm.values:
        problems["checksum_algorithm"] = ["Use sha256 or crc32c."]
    if problems:
        raise ValidationFailed(fields=problems)


def _free_name(*, submission: Submission, name: str) -> str:
    taken = set(
        DataFile.objects.filter(submission=submission, status__in=LIVE).values_list(
            "name", flat=True
        )
    )
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = numbered(name, n)
    return candidate


def create_upload(
    *,
    user: User,
    submission: Submission,
    name: str,
    size: int,
    sha256: str = "",
    checksum_algorithm: str = ChecksumAlgorithm.SHA256,
    fingerprint: str = "",
) -> UploadStarted:
    """Start an upload (or find the one to resume: same uploader, file fingerprint and size)."""
    sha256 = sha256.strip().lower()
    _check_new_upload(
        user=user, submission=submission, size=size, sha256=sha256, algorithm=checksum_algorithm
    )
    display = sanitise_name(name)
    if not display:
        raise ValidationFailed(fields={"name": ["Give the file a name with visible characters."]})
    fingerprint = fingerprint[:200]
    if fingerprint:
        existing = DataFile.objects.filter(
            submission=submission,
            uploader=user,
            fingerprint=fingerprint,
            size=size,
            status=FileStatus.UPLOADING,
        ).first()
        if existing is not None:
            return UploadStarted(existing, resumed=True)
    file_id = uuid.uuid4()
    key = keys.upload_key(submission_id=submission.pk, file_id=file_id)
    backend = staging_backend()
    multipart_id = backend.start(key=key, algorithm=checksum_algorithm)
    try:
        with transaction.atomic():
            Submission.objects.select_for_update().get(pk=submission.pk)  # serialise names
            reservation = quota.reserve(
                user=user, facility=submission.facility, nbytes=size, submission=submission
            )
            datafile = DataFile.objects.create(
                id=file_id,
                submission=submission,
                name=_free_name(submission=submission, name=display),
                storage_key=key,
                size=size,
                uploader=user,
                fingerprint=fingerprint,
                declared_sha256=sha256,
                checksum_algorithm=checksum_algorithm,
                part_size=choose_part_size(size),
                multipart_id=multipart_id,
                reservation=reservation,
            )
            lifecycle.record_event(
                submission=submission, actor=user, kind="upload_started", note=datafile.name
            )
    except Exception:
        _discard_quietly(DataFile(storage_key=key, multipart_id=multipart_id))
        raise
    return UploadStarted(datafile, resumed=False)


def _require_active(datafile: DataFile) -> None:
    if datafile.status != FileStatus.UPLOADING:
        raise UploadNotActive(
            f"This upload is {datafile.get_status_display().lower()}; start a new one to send "
            "the file again."
        )


def _touch(datafile: DataFile) -> None:
    DataFile.objects.filter(pk=datafile.pk).update(last_activity_at=timezone.now())


def sign_part(*, datafile: DataFile, number: int, checksum: str) -> PartTarget:
    """Where to PUT part `number` and with which headers. The checksum is bound to the URL."""
    _require_active(datafile)
    lifecycle.require_not_frozen(submission=datafile.submission)
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
    backend = staging_backend()
    target = backend.part_target(datafile=datafile, number=number, checksum=checksum)
    if backend.name == "s3":
        # S3 keeps the parts; remember the checksum it will need again at completion.
        UploadPart.objects.update_or_create(
            datafile=datafile,
            number=number,
            defaults={"size": datafile.expected_part_size(number), "checksum": checksum},
        )
    _touch(datafile)
    return target


def receive_part(
    *, datafile_id: str, number: int, checksum: str, body: IO[bytes], content_length: int
) -> str:
    """Folder storage: stream one part to disk, check it, record it. Returns its ETag.

    Called from a URL the server signed for this part and checksum, so it needs no session.
    No lock or transaction is held while the bytes arrive.
    """
    datafile = DataFile.objects.filter(pk=datafile_id).first()
    if datafile is None:
        raise NotFound("No such upload.")
    _require_active(datafile)
    expected = datafile.expected_part_size(number)
    if content_length != expected:
        raise SizeMismatch(
            f"Part {number} must be {expected} bytes (the part size is {datafile.part_size}); "
            f"{content_length} were sent."
        )
    backend = staging_backend()
    etag = backend.write_part(  # type: ignore[union-attr]
        datafile=datafile, number=number, body=body, size=expected, checksum=checksum
    )
    with transaction.atomic():
        locked = DataFile.objects.select_for_update().get(pk=datafile.pk)
        _require_active(locked)  # aborted while the bytes were arriving: record nothing
        UploadPart.objects.update_or_create(
            datafile=locked,
            number=number,
            defaults={
                "size": expected,
                "checksum": checksum,
                "etag": etag,
                "received_at": timezone.now(),
            },
        )
        locked.last_activity_at = timezone.now()
        locked.save(update_fields=["last_activity_at"])
    return etag


def list_parts(*, datafile: DataFile) -> list[PartInfo]:
    _require_active(datafile)
    _touch(datafile)
    return sorted(staging_backend().list_parts(datafile=datafile), key=lambda p: p.number)


def _check_parts(datafile: DataFile, parts: list[PartInfo]) -> None:
    numbers = {p.number for p in parts}
    missing = [n for n in range(1, datafile.part_count + 1) if n not in numbers]
    if missing:
        shown = ", ".join(map(str, missing[:20])) + (" …" if len(missing) > 20 else "")
        raise PartsMissing(
            f"{len(missing)} of {datafile.part_count} parts have not arrived (part {shown}); "
            "send them, then complete again.",
            fields={"parts": [f"missing: {shown}"]},
        )
    wrong = [p.number for p in parts if p.size != datafile.expected_part_size(p.number)]
    total = sum(p.size for p in parts if p.number <= datafile.part_count)
    if wrong or total != datafile.size or len(parts) != datafile.part_count:
        raise SizeMismatch(
            f"{total} bytes arrived but {datafile.size} were declared"
            + (f" (parts of the wrong size: {', '.join(map(str, wrong[:20]))})" if wrong else "")
            + ". Send those parts again.",
        )


def complete_upload(*, datafile: DataFile, user: User) -> DataFile:
    """Check every part is there and the sizes add up, then settle quota and verify.

    A repeated complete (a double click, a retried request) returns the file unchanged.
    """
    if datafile.status != FileStatus.UPLOADING:
        if datafile.status in LIVE:
            return datafile
        _require_active(datafile)
    lifecycle.require_not_frozen(submission=datafile.submission)
    backend = staging_backend()
    parts = backend.list_parts(datafile=datafile)
    _check_parts(datafile, parts)
    backend.finish(datafile=datafile, parts=parts)
    with transaction.atomic():
        locked = DataFile.objects.select_for_update().get(pk=datafile.pk)
        if locked.status != FileStatus.UPLOADING:
            return locked
        if locked.reservation is not None:
            quota.settle(reservation=locked.reservation, actual_bytes=locked.size)
        now = timezone.now()
        locked.status = FileStatus.UPLOADED
        locked.uploaded_at = now
        locked.last_activity_at = now
        locked.save(update_fields=["status", "uploaded_at", "last_activity_at"])
        lifecycle.record_event(
            submission=locked.submission, actor=user, kind="upload_completed", note=locked.name
        )
        dispatch.verify_upload(file_id=locked.pk)
    return locked


def _discard_quietly(datafile: DataFile) -> None:
    try:
        staging_backend().discard(datafile=datafile)
    except Exception:  # the sweeper and the bucket's lifecycle rule catch what this misses
        log.exception("could not free the bytes of upload %s", datafile.storage_key)


def abort_upload(*, datafile: DataFile, user: User | None, reason: str = "") -> DataFile:
    """Stop an upload in progress: free its bytes and its reservation. Idempotent."""
    with transaction.atomic():
        locked = DataFile.objects.select_for_update().get(pk=datafile.pk)
        if locked.status == FileStatus.ABORTED:
            return locked
        _require_active(locked)
        locked.status = FileStatus.ABORTED
        locked.failure_code = "expired" if user is None else "aborted"
        locked.failure_message = reason or "Stopped by the uploader."
        locked.save(update_fields=["status", "failure_code", "failure_message"])
        if locked.reservation is not None:
            quota.release(reservation=locked.reservation)
        lifecycle.record_event(
            submission=locked.submission,
            actor=user,
            kind="upload_aborted",
            note=f"{locked.name}: {locked.failure_message}",
        )
        transaction.on_commit(lambda: _discard_quietly(locked))
    return locked


def expire_stale_uploads(*, now: datetime | None = None) -> int:
    """Abort uploads with no activity for UPLOAD_EXPIRY_HOURS (the beat task calls this)."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.UPLOAD_EXPIRY_HOURS)
    stale = DataFile.objects.filter(status=FileStatus.UPLOADING, last_activity_at__lt=cutoff)
    count = 0
    for datafile in stale.iterator():
        try:
            abort_upload(
                datafile=datafile,
                user=None,
                reason=f"No activity for {settings.UPLOAD_EXPIRY_HOURS} hours; start it again.",
            )
        except UploadNotActive:  # completed while the sweep ran
            continue
        count += 1
    return count
