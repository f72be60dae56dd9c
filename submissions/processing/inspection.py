"""Inspection: what a verified upload holds (format, series, sizes, channels, pixel sizes),
read from its header and metadata without converting it, with a small preview for curators.

verified -> inspected (the result stored in DataFile.inspection), or failed with a reason the
researcher can act on. A file that is not an image at all (a PDF, a CSV) is inspected as an
attachment: kept and published as it is, never converted. What inspection finds fills the
empty REMBI acquisition parameters of a draft.
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from submissions.conversion.builtin.sources import ImageSource, needs_local_path
from submissions.conversion.errors import UserFileError
from submissions.conversion.inspect import inspect_file
from submissions.conversion.preview import make_preview
from submissions.core import dispatch, keys, storage
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.uploads.models import DataFile, FileStatus
from submissions.uploads.services import failures
from submissions.uploads.services.filetypes import HEAD_BYTES, format_contradiction

# Inspection results are shown in pages and APIs; a vendor's OME-XML can run to megabytes.
_MAX_OME_XML_CHARS = 200_000

# Files of these inspection failures are kept as originals (attachments, not images).
_NOT_AN_IMAGE = {"unsupported_format"}
logger = logging.getLogger(__name__)


def safe_local_name(name: str) -> str:
    """A file name for the worker's scratch dir: no directories, no control characters."""
    base = re.sub(r"[\x00-\x1f/\\]", "_", name.rsplit("/", 1)[-1]).strip(". ") or "upload"
    return base[-150:]


def inspect_data_file(*, file_id: str) -> None:
    """verified -> inspected (with the InspectionResult) or failed (with the reason)."""
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
            # Submitted before this file was inspected: its review copy starts now.
            if Submission.objects.filter(
                pk=data_file.submission_id,
                status__in=[SubmissionStatus.SUBMITTED, SubmissionStatus.IN_REVIEW],
            ).exists():
                dispatch.start_review_copies(submission_id=data_file.submission_id)


def _inspect_stored(*, data_file: DataFile, name: str) -> dict[str, Any]:
    """The inspection result of a stored file, with ``preview`` saved for an image.

    TIFF is read over a seekable handle: only the header and metadata, with S3 as a few ranged
    GETs, never a download. CZI, ND2 and LIF are read by bioio, whose plugins open paths only:
    those are copied to local scratch first (a full download with S3, a symlink with folders).
    """
    staging = storage.staging()
    preview = _Preview(data_file=data_file)
    with storage.open_seekable(storage=staging, key=data_file.storage_key, name=name) as handle:
        # A name that claims an image format the bytes are not (an HTML page saved as
        # .ome.tif) fails here, rather than passing as an attachment.
        mismatch = format_contradiction(name=data_file.name, head=handle.read(HEAD_BYTES))
        handle.seek(0)
        if mismatch:
            raise UserFileError(code="format_mismatch", message=mismatch)
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
        result = inspect_file(
            path=path, name=name, then=preview.make, scratch_dir=Path(directory)
        ).as_dict()
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
                    key=keys.preview_key(
                        submission_id=self.data_file.submission_id, file_id=self.data_file.pk
                    ),
                    data=self.png,
                    content_type="image/png",
                )
                result["preview"] = True
            except Exception:
                logger.warning("preview of %s not stored", self.data_file.pk, exc_info=True)
        return result


def _inspection_failed(*, data_file: DataFile, code: str, message: str) -> None:
    with transaction.atomic():
        failed = DataFile.objects.filter(pk=data_file.pk, status=FileStatus.VERIFIED).update(
            status=FileStatus.FAILED,
            failure_code=code[:60],
            failure_message=message,
            inspection={"error": {"code": code, "message": message}},
        )
        if failed:
            failures.refresh(submission_id=data_file.submission_id)


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
