"""The upload protocol, the same for the browser, the CLI and the API.

create_upload -> parts.sign_part (per part; the client PUTs the bytes to the URL it gets) ->
parts.list_parts (to resume) -> complete_upload, or abort_upload. Quota is reserved at create,
settled at complete and released at abort or expiry, so no byte lands unaccounted for.
"""

from __future__ import annotations

import functools
import logging
import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from submissions.accounts.models import User
from submissions.accounts.permissions import can_edit
from submissions.core import dispatch, keys
from submissions.core.errors import InvalidTransition, NotFound, ValidationFailed
from submissions.core.units import format_bytes
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission
from submissions.quotas.services import ledger as quota
from submissions.uploads.models import ChecksumAlgorithm, DataFile, FileStatus
from submissions.uploads.services.backends import (
    PartInfo,
    staging_backend,
)
from submissions.uploads.services.errors import (
    PartsMissing,
    SizeMismatch,
    UploadNotActive,
)
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


def _resumable(
    *,
    user: User,
    submission: Submission,
    name: str,
    size: int,
    fingerprint: str,
    sha256: str,
    algorithm: str,
) -> DataFile | None:
    """The upload in progress of the same local file, which a new creation resumes: same
    uploader, submission, size and checksum algorithm, and the same fingerprint (the
    client's identity of the local file) or the same name and declared SHA-256."""
    same_file = Q()
    if fingerprint:
        same_file |= Q(fingerprint=fingerprint)
    if sha256:
        same_file |= Q(declared_sha256=sha256, name=name)
    if not same_file:
        return None
    return (
        DataFile.objects.filter(
            submission=submission,
            uploader=user,
            size=size,
            checksum_algorithm=algorithm,
            status=FileStatus.UPLOADING,
        )
        .filter(same_file)
        .order_by("created_at")
        .first()
    )


def _create_locked(
    *,
    user: User,
    submission: Submission,
    file_id: uuid.UUID,
    key: str,
    multipart_id: str,
    display: str,
    size: int,
    fingerprint: str,
    sha256: str,
    algorithm: str,
) -> DataFile:
    """Reserve the quota and record the new upload (the submission's row is locked)."""
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
        checksum_algorithm=algorithm,
        part_size=choose_part_size(size),
        multipart_id=multipart_id,
        reservation=reservation,
    )
    lifecycle.record_event(
        submission=submission, actor=user, kind="upload_started", note=datafile.name
    )
    return datafile


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
    """Start an upload, or find the one to resume (see `_resumable`): clients that lost an
    upload's id, or send the same file twice at once, continue one upload and one
    reservation."""
    sha256 = sha256.strip().lower()
    _check_new_upload(
        user=user, submission=submission, size=size, sha256=sha256, algorithm=checksum_algorithm
    )
    display = sanitise_name(name)
    if not display:
        raise ValidationFailed(fields={"name": ["Give the file a name with visible characters."]})
    fingerprint = fingerprint[:200]
    same = functools.partial(
        _resumable,
        user=user,
        submission=submission,
        name=display,
        size=size,
        fingerprint=fingerprint,
        sha256=sha256,
        algorithm=checksum_algorithm,
    )
    existing = same()
    if existing is not None:
        return UploadStarted(existing, resumed=True)
    file_id = uuid.uuid4()
    key = keys.upload_key(submission_id=submission.pk, file_id=file_id)
    backend = staging_backend()
    multipart_id = backend.start(key=key, algorithm=checksum_algorithm)
    started = DataFile(storage_key=key, multipart_id=multipart_id)
    try:
        with transaction.atomic():
            # One creation at a time per submission: names stay unique, and of identical
            # creations racing each other the first creates and the others resume it.
            Submission.objects.select_for_update().get(pk=submission.pk)
            existing = same()
            if existing is None:
                datafile = _create_locked(
                    user=user,
                    submission=submission,
                    file_id=file_id,
                    key=key,
                    multipart_id=multipart_id,
                    display=display,
                    size=size,
                    fingerprint=fingerprint,
                    sha256=sha256,
                    algorithm=checksum_algorithm,
                )
    except Exception:
        _discard_quietly(started)
        raise
    if existing is not None:
        _discard_quietly(started)  # what the storage began for the duplicate
        return UploadStarted(existing, resumed=True)
    return UploadStarted(datafile, resumed=False)


def require_active(datafile: DataFile) -> None:
    if datafile.status != FileStatus.UPLOADING:
        raise UploadNotActive(
            f"This upload is {datafile.get_status_display().lower()}; start a new one to send "
            "the file again."
        )


def touch(datafile: DataFile) -> None:
    DataFile.objects.filter(pk=datafile.pk).update(last_activity_at=timezone.now())


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


def _declared_at_completion(datafile: DataFile, sha256: str) -> str:
    """The whole-file SHA-256 to verify against: the one given now, or at creation.

    Two different declarations mean the local file changed while it was being sent.
    """
    sha256 = sha256.strip().lower()
    if sha256 and not SHA256_HEX.match(sha256):
        raise ValidationFailed(
            fields={"sha256": ["Give the SHA-256 as 64 lowercase hexadecimal characters."]}
        )
    if sha256 and datafile.declared_sha256 and sha256 != datafile.declared_sha256:
        raise ValidationFailed(
            "The file's SHA-256 now differs from the one declared when the upload began: the "
            "file changed on your computer while it was being sent. Upload it again.",
            fields={"sha256": ["Differs from the SHA-256 declared at the start of the upload."]},
        )
    return sha256 or datafile.declared_sha256


def complete_upload(*, datafile: DataFile, user: User, sha256: str = "") -> DataFile:
    """Check every part is there and the sizes add up, then settle quota and verify.

    `sha256` is the whole file's SHA-256 as the client computed it while reading the file
    (optional, and may instead be declared at creation); verification refuses stored bytes
    that differ. A repeated complete (a double click, a retried request) returns the file
    unchanged.
    """
    declared = _declared_at_completion(datafile, sha256)
    if datafile.status != FileStatus.UPLOADING:
        if datafile.status in LIVE:
            return datafile
        require_active(datafile)
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
        locked.declared_sha256 = declared
        locked.save(update_fields=["status", "uploaded_at", "last_activity_at", "declared_sha256"])
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
        require_active(locked)
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
