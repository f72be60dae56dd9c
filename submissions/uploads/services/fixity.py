"""Whole-file verification after complete, and the fixity receipt a researcher downloads."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from submissions.core import dispatch
from submissions.core.errors import InvalidTransition
from submissions.lifecycle import services as lifecycle
from submissions.quotas.models import QuotaReservation, ReservationState
from submissions.quotas.services import ledger as quota
from submissions.uploads.models import DataFile, FileStatus
from submissions.uploads.services import failures
from submissions.uploads.services.backends import staging_backend
from submissions.uploads.services.filetypes import HEAD_BYTES, detect_type

log = logging.getLogger(__name__)
# A claim older than this belongs to a worker that died: the next run may take it over.
CLAIM_TIMEOUT = timedelta(hours=6)


def _claim(file_id: str) -> bool:
    now = timezone.now()
    return bool(
        DataFile.objects.filter(pk=file_id, status=FileStatus.UPLOADED)
        .filter(
            Q(verification_started_at__isnull=True)
            | Q(verification_started_at__lt=now - CLAIM_TIMEOUT)
        )
        .update(verification_started_at=now)
    )


def _fail(datafile: DataFile, code: str, message: str) -> None:
    """The stored bytes are not the file that was sent: fail it, free its quota and bytes.

    The row stays (failed, with the reason) so the researcher sees what happened and can
    remove it or upload the file again.
    """
    with transaction.atomic():
        failed = DataFile.objects.filter(pk=datafile.pk, status=FileStatus.UPLOADED).update(
            status=FileStatus.FAILED, failure_code=code, failure_message=message
        )
        if not failed:
            return
        failures.refresh(submission_id=datafile.submission_id)
        reservation = (
            QuotaReservation.objects.filter(pk=datafile.reservation_id).first()
            if datafile.reservation_id
            else None
        )
        if reservation is not None and reservation.state == ReservationState.SETTLED:
            quota.free(reservation=reservation)
        elif reservation is not None and reservation.state == ReservationState.HELD:
            quota.release(reservation=reservation)
        lifecycle.record_event(
            submission=datafile.submission,
            actor=None,
            kind="upload_failed",
            note=f"{datafile.name}: {message}",
        )
        transaction.on_commit(lambda: _discard_bytes(datafile))


def _discard_bytes(datafile: DataFile) -> None:
    try:
        staging_backend().discard(datafile=datafile)
    except Exception:  # the bucket's lifecycle rule catches what this misses
        log.exception("could not delete the bytes of failed file %s", datafile.storage_key)


def verify_upload(*, file_id: str) -> str:
    """Stream the stored file once: SHA-256, size and type. Returns the resulting status.

    Idempotent: claims the file with a conditional update, hashes with no lock or
    transaction open, then records the result only if nobody changed the file meanwhile.
    """
    if not _claim(file_id):
        return str(DataFile.objects.filter(pk=file_id).values_list("status", flat=True).first())
    datafile = DataFile.objects.select_related("submission").get(pk=file_id)
    hasher = hashlib.sha256()
    head = b""
    size = 0
    for chunk in staging_backend().stream(key=datafile.storage_key):
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        hasher.update(chunk)
        size += len(chunk)
    digest = hasher.hexdigest()
    if size != datafile.size:
        _fail(
            datafile,
            "size_mismatch",
            f"{size} bytes are stored but {datafile.size} were sent. Upload the file again.",
        )
        return FileStatus.FAILED
    if datafile.declared_sha256 and datafile.declared_sha256 != digest:
        _fail(
            datafile,
            "checksum_mismatch",
            f"The bytes Aperture received have SHA-256 {digest}, but your copy of the file "
            f"has {datafile.declared_sha256}: the file changed on the way or while it was "
            "being sent. Upload the file again.",
        )
        return FileStatus.FAILED
    updated = DataFile.objects.filter(pk=datafile.pk, status=FileStatus.UPLOADED).update(
        status=FileStatus.VERIFIED,
        sha256=digest,
        detected_type=detect_type(head),
        verified_at=timezone.now(),
    )
    if updated:
        lifecycle.record_event(
            submission=datafile.submission,
            actor=None,
            kind="upload_verified",
            note=f"{datafile.name} sha256:{digest}",
        )
        dispatch.inspect_file(file_id=datafile.pk)  # inspection runs after this commits
    return FileStatus.VERIFIED


def fixity_receipt(*, datafile: DataFile) -> dict[str, Any]:
    """What Aperture attests about the bytes it holds.

    Only verification sets the SHA-256, so a file has a receipt once verified, and keeps it
    if inspection later fails: the bytes still arrived intact.
    """
    if not datafile.sha256:
        raise InvalidTransition("A receipt exists once the file is verified.")
    return {
        "receipt": "Aperture fixity receipt",
        "file_id": str(datafile.pk),
        "submission_id": str(datafile.submission_id),
        "name": datafile.name,
        "size": datafile.size,
        "sha256": datafile.sha256,
        "detected_type": datafile.detected_type,
        "uploaded_at": datafile.uploaded_at.isoformat() if datafile.uploaded_at else None,
        "verified_at": datafile.verified_at.isoformat() if datafile.verified_at else None,
    }


def stalled_verifications() -> list[str]:
    """Uploaded files whose verification never started or whose worker died (lost messages)."""
    now = timezone.now()
    return [
        str(pk)
        for pk in DataFile.objects.filter(status=FileStatus.UPLOADED)
        .filter(
            Q(verification_started_at__isnull=True, uploaded_at__lt=now - timedelta(minutes=15))
            | Q(verification_started_at__lt=now - CLAIM_TIMEOUT)
        )
        .values_list("pk", flat=True)
    ]
