"""What happens to files after upload and to submissions after approval, with no human step.

- `file_verified` (called by the upload service) queues an inspection of the file.
- Approval queues `start_processing` (a lifecycle hook): the submission becomes `processing`,
  gets its accession, and one ConversionJob per image file is queued on the `conversion`
  queue (submissions.services.conversion_jobs). The last job to succeed queues publication
  (submissions.services.publication).
- `retry_processing` lets a curator or facility admin try a failed submission again.
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from submissions import storage
from submissions.models import (
    ConversionJob,
    DataFile,
    ErrorKind,
    FileStatus,
    JobState,
    Publication,
    Submission,
    SubmissionStatus,
    User,
)
from submissions.services import lifecycle
from submissions.services.exceptions import InvalidTransition
from submissions.services.publication import allocate_accession

if TYPE_CHECKING:
    from submissions.conversion.builtin.sources import ImageSource

logger = logging.getLogger(__name__)
# Inspection results are shown in pages and APIs; a vendor's OME-XML can run to megabytes.
_MAX_OME_XML_CHARS = 200_000
# Files of these inspection failures are kept as originals (attachments, not images).
_NOT_AN_IMAGE = {"unsupported_format"}


def safe_local_name(name: str) -> str:
    """A file name for the worker's scratch dir: no directories, no control characters."""
    base = re.sub(r"[\x00-\x1f/\\]", "_", name.rsplit("/", 1)[-1]).strip(". ") or "upload"
    return base[-150:]


# --- Enqueueing (ids only, after commit) --------------------------------------------------------


def enqueue_inspection(*, file_id: Any) -> None:
    from submissions import tasks

    transaction.on_commit(lambda: tasks.inspect_file.delay(str(file_id)))


def enqueue_conversion(*, job_id: Any, countdown: float = 0) -> None:
    from submissions import tasks

    transaction.on_commit(
        lambda: tasks.convert_file.apply_async(args=[str(job_id)], countdown=countdown or None)
    )


def enqueue_publication(*, submission_id: Any, countdown: float = 0) -> None:
    from submissions import tasks

    transaction.on_commit(
        lambda: tasks.publish_dataset.apply_async(
            args=[str(submission_id)], countdown=countdown or None
        )
    )


def enqueue_start(*, submission_id: Any) -> None:
    from submissions import tasks

    transaction.on_commit(lambda: tasks.start_processing.delay(str(submission_id)))


# --- Inspection ---------------------------------------------------------------------------------


def file_verified(*, data_file: DataFile) -> None:
    """Call when a file has become `verified`: its inspection runs after this commit."""
    enqueue_inspection(file_id=data_file.pk)


def inspect_data_file(*, file_id: str) -> None:
    """verified -> inspected (with the InspectionResult) or failed (with the reason)."""
    from submissions.conversion.errors import UserFileError

    data_file = DataFile.objects.filter(pk=file_id, status=FileStatus.VERIFIED).first()
    if data_file is None:
        return  # already inspected, failed or deleted: nothing to do twice
    name = safe_local_name(data_file.name)
    try:
        result = _inspect_stored(data_file=data_file, name=name)
    except UserFileError as error:
        if error.code in _NOT_AN_IMAGE:
            _inspected_as_attachment(data_file=data_file, message=error.message)
        else:
            _inspection_failed(data_file=data_file, code=error.code, message=error.message)
        return
    except Exception as error:
        if storage.is_transient(error):
            raise  # the task retries with backoff; the sweeper catches what it gives up on
        logger.exception("inspection of %s failed", data_file.pk)
        _inspection_failed(
            data_file=data_file,
            code="inspection_error",
            message=(
                "Aperture could not read this file because of an internal problem. Your "
                "facility's curators can see the details; you do not need to upload it again."
            ),
        )
        return
    if result.get("ome_xml") and len(result["ome_xml"]) > _MAX_OME_XML_CHARS:
        result["ome_xml"] = None
        result["ome_xml_truncated"] = True
    with transaction.atomic():
        updated = DataFile.objects.filter(pk=data_file.pk, status=FileStatus.VERIFIED).update(
            status=FileStatus.INSPECTED, inspection=result
        )
        if updated:
            apply_inspection_to_metadata(submission_id=data_file.submission_id, inspection=result)


def _inspect_stored(*, data_file: DataFile, name: str) -> dict[str, Any]:
    """The inspection result of a stored file, with ``preview`` saved for an image.

    TIFF is read over a seekable handle: only the header and metadata, with S3 as a few ranged
    GETs, never a download. CZI, ND2 and LIF are read by bioio, whose plugins open paths only:
    those are copied to local scratch first (a full download with S3, a symlink with folders).
    """
    from submissions.conversion.builtin.sources import needs_local_path
    from submissions.conversion.inspect import inspect_file

    staging = storage.staging()
    preview = _Preview(data_file=data_file)
    with storage.open_seekable(storage=staging, key=data_file.storage_key, name=name) as handle:
        if not needs_local_path(file=handle, name=name):
            result = inspect_file(file=handle, name=name, then=preview.make).as_dict()
            return preview.saved_into(result)
    scratch = Path(settings.CONVERSION_SCRATCH_DIR)
    scratch.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="inspect-", dir=scratch) as directory,
        storage.local_copy(
            storage=staging, key=data_file.storage_key, directory=Path(directory), name=name
        ) as path,
    ):
        result = inspect_file(path=path, name=name, then=preview.make).as_dict()
        return preview.saved_into(result)


def _inspected_as_attachment(*, data_file: DataFile, message: str) -> None:
    """Not an image (a PDF, a CSV of results): kept and published as is, never converted."""
    DataFile.objects.filter(pk=data_file.pk, status=FileStatus.VERIFIED).update(
        status=FileStatus.INSPECTED,
        inspection={"attachment": True, "note": message},
    )


def preview_key(data_file: DataFile) -> str:
    """Where inspection stores a file's preview PNG in staging storage (server-chosen)."""
    return f"previews/{data_file.submission_id}/{data_file.pk}.png"


class _Preview:
    """A preview for curators, made from the source inspection already has open; a preview
    that cannot be made never fails inspection."""

    def __init__(self, *, data_file: DataFile) -> None:
        self.data_file = data_file
        self.png: bytes | None = None

    def make(self, source: ImageSource) -> None:
        if not source.series:
            return
        from submissions.conversion.preview import make_preview

        try:
            self.png = make_preview(source=source)
        except Exception:
            logger.warning("no preview for %s", self.data_file.pk, exc_info=True)

    def saved_into(self, result: dict[str, Any]) -> dict[str, Any]:
        """`result` with ``preview`` true once the PNG is stored (only for images)."""
        if not result.get("series"):
            return result
        result["preview"] = False
        if self.png is not None:
            try:
                storage.write_bytes(
                    storage=storage.staging(),
                    key=preview_key(self.data_file),
                    data=self.png,
                    content_type="image/png",
                )
                result["preview"] = True
            except Exception:
                logger.warning("preview of %s not stored", self.data_file.pk, exc_info=True)
        return result


def _inspection_failed(*, data_file: DataFile, code: str, message: str) -> None:
    DataFile.objects.filter(pk=data_file.pk, status=FileStatus.VERIFIED).update(
        status=FileStatus.FAILED,
        failure_code=code[:60],
        failure_message=message,
        inspection={"error": {"code": code, "message": message}},
    )


def acquisition_parameters(inspection: dict[str, Any]) -> dict[str, Any]:
    """REMBI image-acquisition parameters we can read from a file (first series)."""
    series = inspection.get("series") or []
    if not series:
        return {}
    first = series[0]
    sizes, physical = first.get("sizes", {}), first.get("physical_sizes", {}) or {}
    unit = physical.get("unit") or "micrometer"
    parameters: dict[str, Any] = {
        "image_format": inspection.get("format_name", ""),
        "dimensions": " x ".join(f"{axis} {sizes.get(axis, 1)}" for axis in "TCZYX"),
        "pixel_type": first.get("pixel_type", ""),
    }
    voxel = [physical.get(axis) for axis in ("x", "y", "z")]
    if any(value is not None for value in voxel):
        parameters["physical_pixel_size"] = (
            " x ".join("?" if value is None else f"{value:g}" for value in voxel) + f" {unit}"
        )
    if first.get("channel_names"):
        parameters["channels"] = ", ".join(str(name) for name in first["channel_names"])
    return parameters


_PARAMETER_LABELS = {
    "image_format": "Image format",
    "dimensions": "Dimensions",
    "pixel_type": "Pixel type",
    "physical_pixel_size": "Physical pixel size",
    "channels": "Channels",
}


def acquisition_parameters_text(inspection: dict[str, Any]) -> str:
    """The inspection as the REMBI "acquisition parameters" text, one fact per line."""
    found = acquisition_parameters(inspection)
    return "\n".join(f"{_PARAMETER_LABELS[key]}: {value}" for key, value in found.items())


def fill_empty_acquisition_fields(
    metadata: dict[str, Any], inspection: dict[str, Any]
) -> dict[str, Any]:
    """A copy of `metadata` whose empty REMBI acquisition parameters hold the inspection.

    Only empty values are filled; whatever a person wrote is kept. A document with no image
    acquisition yet gets one, holding only the parameters, for the researcher to complete.
    Anything unexpected in the draft is left as it is.
    """
    text = acquisition_parameters_text(inspection)
    if not text or not isinstance(metadata, dict):
        return metadata
    result = dict(metadata)
    acquisitions = result.get("acquisitions")
    if acquisitions in (None, []):
        result["acquisitions"] = [{"key": "acquisition-1", "parameters": text}]
        return result
    if not isinstance(acquisitions, list):
        return metadata
    result["acquisitions"] = [
        {**item, "parameters": text}
        if isinstance(item, dict) and not str(item.get("parameters") or "").strip()
        else item
        for item in acquisitions
    ]
    return result


def apply_inspection_to_metadata(*, submission_id: Any, inspection: dict[str, Any]) -> None:
    with transaction.atomic():
        submission = Submission.objects.select_for_update().get(pk=submission_id)
        if submission.status not in lifecycle.EDITABLE_STATUSES:
            return  # under review or later: the description is frozen
        filled = fill_empty_acquisition_fields(submission.metadata or {}, inspection)
        if filled != submission.metadata:
            Submission.objects.filter(pk=submission.pk).update(metadata=filled)


# --- Starting and retrying ----------------------------------------------------------------------


def files_to_convert(*, submission: Submission) -> list[DataFile]:
    """Image files: inspected ones with pixel data (or a vendor format), or not yet inspected."""
    files = submission.files.filter(status__in=[FileStatus.VERIFIED, FileStatus.INSPECTED])
    return [
        f
        for f in files
        if f.status == FileStatus.VERIFIED
        or f.inspection.get("series")
        or f.inspection.get("needs_bioformats")
    ]


def files_to_keep(*, submission: Submission) -> list[DataFile]:
    """Originals to archive: every image file, plus attachments that are not images."""
    return list(submission.files.filter(status__in=[FileStatus.VERIFIED, FileStatus.INSPECTED]))


def _queue_work(*, submission: Submission) -> None:
    """Create missing jobs and enqueue every queued one (or publication if none is left)."""
    now = timezone.now()
    for data_file in files_to_convert(submission=submission):
        ConversionJob.objects.get_or_create(
            data_file=data_file, defaults={"submission": submission, "due_at": now}
        )
    queued = list(
        ConversionJob.objects.filter(submission=submission, state=JobState.QUEUED).values_list(
            "pk", flat=True
        )
    )
    for job_id in queued:
        enqueue_conversion(job_id=job_id)
    if not queued:
        enqueue_publication(submission_id=submission.pk)


def start_processing(*, submission_id: str) -> None:
    """approved -> processing: allocate the accession, queue conversions. Idempotent."""
    with transaction.atomic():
        submission = Submission.objects.select_for_update().filter(pk=submission_id).first()
        if submission is None or submission.status != SubmissionStatus.APPROVED:
            return
        lifecycle.transition(
            submission=submission,
            to=SubmissionStatus.PROCESSING,
            actor=None,
            note="Conversion to OME-Zarr started.",
        )
        if not submission.accession:
            submission.accession = allocate_accession()
            Submission.objects.filter(pk=submission.pk).update(accession=submission.accession)
        Publication.objects.get_or_create(
            submission=submission,
            defaults={"accession": submission.accession, "due_at": timezone.now()},
        )
        _queue_work(submission=submission)


def retry_processing(*, submission: Submission, user: User, note: str = "") -> Submission:
    """processing_failed -> processing: failed jobs and publication are queued again."""
    lifecycle.require_curator(user=user, submission=submission)
    with transaction.atomic():
        lifecycle.transition(
            submission=submission,
            to=SubmissionStatus.PROCESSING,
            actor=user,
            note=note or "Processing retried.",
        )
        reset = {
            "state": JobState.QUEUED,
            "attempts": 0,
            "claim_token": None,
            "due_at": timezone.now(),
            "error_kind": ErrorKind.NONE,
            "error_code": "",
            "error_message": "",
            "error_details": "",
        }
        ConversionJob.objects.filter(submission=submission, state=JobState.FAILED).update(
            progress=0.0, stage="", **reset
        )
        Publication.objects.filter(submission=submission, state=JobState.FAILED).update(**reset)
        _queue_work(submission=submission)
    submission.refresh_from_db()
    return submission


def fail_submission(*, submission_id: Any, reason: str) -> None:
    """processing -> processing_failed with the reason; nothing if it is no longer processing."""
    try:
        lifecycle.transition(
            submission=Submission(pk=submission_id),
            to=SubmissionStatus.PROCESSING_FAILED,
            actor=None,
            note=reason[:2000],
        )
    except InvalidTransition:
        logger.info("submission %s not processing; failure not recorded twice", submission_id)


def _after_transition(submission: Submission, from_status: str, to_status: str) -> None:
    if to_status == SubmissionStatus.APPROVED:
        enqueue_start(submission_id=submission.pk)


lifecycle.on_transition(_after_transition)
