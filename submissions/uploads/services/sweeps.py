"""The beat's sweeps of uploads: reservations held by uploads that never started or went
idle are released, and temporary part files a crashed process left behind are deleted."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from submissions.core.units import format_bytes
from submissions.uploads.models import DataFile, FileStatus, UploadPart
from submissions.uploads.services.backends import FolderBackend, S3Backend, staging_backend
from submissions.uploads.services.errors import UploadNotActive
from submissions.uploads.services.protocol import abort_upload

log = logging.getLogger(__name__)


def _abort_all(files: list[DataFile], reason: str) -> int:
    count = 0
    for datafile in files:
        try:
            abort_upload(datafile=datafile, user=None, reason=reason)
        except UploadNotActive:  # completed or aborted while the sweep ran
            continue
        count += 1
    return count


def expire_stale_uploads(*, now: datetime | None = None) -> int:
    """Abort uploads with no activity for UPLOAD_EXPIRY_HOURS (the beat task calls this)."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.UPLOAD_EXPIRY_HOURS)
    stale = DataFile.objects.filter(status=FileStatus.UPLOADING, last_activity_at__lt=cutoff)
    return _abort_all(
        list(stale),
        f"No activity for {settings.UPLOAD_EXPIRY_HOURS} hours; start it again.",
    )


def expire_empty_uploads(*, now: datetime | None = None) -> int:
    """Abort uploads that received no byte within UPLOAD_FIRST_BYTE_MINUTES of their
    creation, so an upload that never starts does not hold its quota for a day.

    With folder storage Aperture records every part that arrives; with S3 a part that was
    only signed may still have landed, so S3 is asked before an upload is given up.
    """
    minutes = settings.UPLOAD_FIRST_BYTE_MINUTES
    cutoff = (now or timezone.now()) - timedelta(minutes=minutes)
    arrived = UploadPart.objects.exclude(etag="").values("datafile_id")
    candidates = list(
        DataFile.objects.filter(status=FileStatus.UPLOADING, created_at__lt=cutoff)
        .exclude(size=0)
        .exclude(pk__in=arrived)
        .select_related("reservation")
    )
    backend = staging_backend()
    if isinstance(backend, S3Backend):
        candidates = [f for f in candidates if _nothing_in_s3(backend, f)]
    held = sum(f.size for f in candidates)
    count = _abort_all(
        candidates,
        f"No byte arrived within {minutes} minutes of starting; the space it held is free "
        "again. Start the upload again.",
    )
    if count:
        log.info("released %s held by %d uploads that never started", format_bytes(held), count)
    return count


def _nothing_in_s3(backend: S3Backend, datafile: DataFile) -> bool:
    """No part of the upload has landed in the bucket (a multipart upload S3 no longer
    knows holds nothing either); when S3 cannot be asked, the upload is left for later."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return not backend.list_parts(datafile=datafile)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchUpload":
            return True
        log.warning("could not list the parts of upload %s: %s", datafile.pk, error)
    except BotoCoreError as error:
        log.warning("could not list the parts of upload %s: %s", datafile.pk, error)
    return False


def sweep_temporary_parts(*, max_age_hours: float = 24.0) -> int:
    """Folder storage: delete temporary part files older than `max_age_hours` (left by a
    process that died between receiving a part and placing it). Returns how many."""
    backend = staging_backend()
    if not isinstance(backend, FolderBackend):
        return 0
    root = backend.path("uploads")
    if not root.is_dir():
        return 0
    cutoff = time.time() - max_age_hours * 3600
    removed = 0
    for path in root.glob("*/.tmp-*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # placed and deleted meanwhile
            continue
    return removed
