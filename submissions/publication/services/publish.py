"""Publishing a converted dataset: review copies, originals, manifest, marker, `published`.

The converted OME-Zarr trees are the review copies in staging, made at submit and seen by
the curators (processing.review_copies). Publication copies each into the archive without
converting again (server-side copies on S3, hard links on folders: core.treecopy), checks
every tree's object count and size against what its job recorded, copies the originals
where ARCHIVE_KEEP_ORIGINALS says so, writes
`datasets/<accession>/manifest.json`, and writes the marker `datasets/<accession>/.published`
LAST. Only then does the submission become `published`; public reads check that status,
and the review copies are deleted from staging (their quota freed) after commit. Every step
is idempotent, so a retried publication copies onto the same keys.
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from submissions.core import dispatch, keys, storage, treecopy
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.notifications.models import NotificationKind
from submissions.processing import workclaims
from submissions.processing.models import ConversionJob, ErrorKind, JobState
from submissions.processing.services import fail_submission, files_to_keep
from submissions.publication.models import Publication
from submissions.publication.services import fixity, release
from submissions.publication.services.release import metadata_release_date
from submissions.quotas.services import datasets as quota_datasets

logger = logging.getLogger(__name__)


class PublicationCheckFailed(Exception):
    """The archive does not hold what the conversion jobs recorded."""


PUBLICATION_FAILED_MESSAGE = (
    "Publishing to the archive failed because of a problem on Aperture's side. The facility's "
    "curators can see the details and retry; you do not need to upload anything again."
)


def publish_dataset(*, submission_id: str) -> None:
    """Publish once every conversion job has succeeded; a no-op otherwise (idempotent)."""
    publication = Publication.objects.filter(submission_id=submission_id).first()
    if publication is None:
        return
    # A job whose file was removed (an orphan) is not part of the dataset.
    jobs = list(ConversionJob.objects.filter(submission_id=submission_id).exclude(data_file=None))
    if any(job.state != JobState.SUCCEEDED for job in jobs):
        return  # the last job to succeed queues publication again
    if not Submission.objects.filter(pk=submission_id, status=SubmissionStatus.PROCESSING).exists():
        return
    token = workclaims.claim(model=Publication, pk=publication.pk)
    if token is None:
        return
    try:
        with workclaims.Heartbeat(model=Publication, pk=publication.pk, token=token):
            totals = _write_archive(publication=publication, jobs=jobs)
            archived = quota_datasets.archived_bytes(accession=publication.accession)
    except Exception as error:
        _record_failure(publication=publication, token=token, error=error)
        return
    with transaction.atomic():
        recorded = workclaims.owned(model=Publication, pk=publication.pk, token=token).update(
            state=JobState.SUCCEEDED,
            finished_at=timezone.now(),
            marker_written_at=timezone.now(),
            object_count=totals["objects"],
            total_bytes=totals["bytes"],
            error_kind=ErrorKind.NONE,
            error_code="",
            error_message="",
        )
        if recorded:
            submission = lifecycle.transition(
                submission=Submission(pk=submission_id),
                to=SubmissionStatus.PUBLISHED,
                actor=None,
                note=f"Published as {publication.accession}.",
            )
            # The archive counts what it holds now; staging copies are freed.
            quota_datasets.record_publication(submission=submission, archived=archived)
            # The embargo in force from now on; the REMBI date is where it was chosen.
            until = metadata_release_date(submission)
            Publication.objects.filter(pk=publication.pk).update(release_date=until)
            dispatch.submission_mail(submission_id=submission_id, kind=NotificationKind.PUBLISHED)
            dispatch.sync_doi(submission_id=submission_id)
            dispatch.clean_up_review_copies(submission_id=submission_id)
            if until is None or until <= timezone.localdate():
                # Nothing to wait for: public at once. The "published" mail says so already.
                release.release(submission_id=submission_id, actor=None, mail=False)


def _write_archive(*, publication: Publication, jobs: list[ConversionJob]) -> dict[str, int]:
    archive, accession = storage.archive(), publication.accession
    submission = Submission.objects.get(pk=publication.submission_id)
    objects = bytes_total = 0
    for job in jobs:
        if job.review_prefix:
            _promote(job=job, accession=accession)
            job.refresh_from_db()
        listed = storage.list_tree(storage=archive, prefix=job.archive_prefix)
        if len(listed) != job.object_count or sum(listed.values()) != job.output_bytes:
            raise PublicationCheckFailed(
                f"{job.archive_prefix}: {len(listed)} objects / {sum(listed.values())} B in the "
                f"archive, {job.object_count} / {job.output_bytes} B converted"
            )
        objects += len(listed)
        bytes_total += sum(listed.values())
    jobs_by_file = {job.data_file_id: job for job in jobs}
    files = []
    for data_file in files_to_keep(submission=submission):
        file_job = jobs_by_file.get(data_file.pk)
        entry: dict[str, Any] = {
            "id": str(data_file.pk),
            "name": data_file.name,
            "size": data_file.size,
            "sha256": data_file.sha256
            or (file_job.provenance.get("input_sha256") if file_job else None),
        }
        if settings.ARCHIVE_KEEP_ORIGINALS:
            key = keys.original_key(accession, data_file.pk)
            size = storage.copy_object(
                source=storage.staging(),
                source_key=data_file.storage_key,
                target=archive,
                target_key=key,
            )
            if size != data_file.size:
                raise PublicationCheckFailed(
                    f"{key}: {size} B archived, {data_file.size} B uploaded"
                )
            entry["original"] = key
            objects += 1
            bytes_total += size
        if file_job is not None:
            entry["ome_zarr"] = {
                "prefix": file_job.archive_prefix,
                "objects": file_job.object_count,
                "bytes": file_job.output_bytes,
                # What the fixity audit re-hashes against (publication.services.fixity).
                "sha256": fixity.checksum_tree(archive=archive, prefix=file_job.archive_prefix),
            }
            entry["thumbnail"] = file_job.thumbnail_key or None
        files.append(entry)
    manifest = {
        "accession": accession,
        "title": submission.title,
        "metadata": submission.metadata,
        "files": files,
        "objects": objects,
        "bytes": bytes_total,
    }
    document = json.dumps(manifest, indent=2, sort_keys=True, default=str).encode()
    storage.write_bytes(
        storage=archive,
        key=keys.manifest_key(accession),
        data=document,
        content_type="application/json",
    )
    # Last: the marker makes the dataset visible to anyone reading the bucket directly.
    marker = {"accession": accession, "published_at": timezone.now().isoformat()}
    storage.write_bytes(
        storage=archive,
        key=keys.marker_key(accession),
        data=json.dumps(marker).encode(),
        content_type="application/json",
    )
    return {"objects": objects + 2, "bytes": bytes_total + len(document)}


def _promote(*, job: ConversionJob, accession: str) -> None:
    """Copy a review copy (and its thumbnail) from staging to the archive; no conversion."""
    staging, archive = storage.staging(), storage.archive()
    prefix = keys.archive_prefix(accession=accession, file_id=job.data_file_id)
    tree = treecopy.copy_tree(
        source=staging, source_prefix=job.review_prefix, target=archive, target_prefix=prefix
    )
    if (tree.object_count, tree.total_bytes) != (job.object_count, job.output_bytes):
        raise PublicationCheckFailed(
            f"{job.review_prefix}: {tree.object_count} objects / {tree.total_bytes} B in the "
            f"review copy, {job.object_count} / {job.output_bytes} B converted"
        )
    thumbnail = ""
    if job.review_thumbnail_key:
        thumbnail = keys.thumbnail_key(accession=accession, file_id=job.data_file_id)
        storage.copy_object(
            source=staging,
            source_key=job.review_thumbnail_key,
            target=archive,
            target_key=thumbnail,
        )
    provenance = {**job.provenance, "archive_prefix": prefix}
    ConversionJob.objects.filter(pk=job.pk).update(
        archive_prefix=prefix, thumbnail_key=thumbnail, provenance=provenance
    )


def _record_failure(*, publication: Publication, token: Any, error: BaseException) -> None:
    transient = storage.is_transient(error) or isinstance(error, PublicationCheckFailed)
    details = "".join(traceback.format_exception(error))[-8000:]
    attempts = Publication.objects.filter(pk=publication.pk).values_list("attempts", flat=True)[0]
    # error_message is read by the researcher (page, e-mail, timeline): no paths, no exception
    # text. What went wrong is kept in error_details, which only curators see.
    message = (
        "Object storage was unavailable while publishing."
        if storage.is_transient(error)
        else PUBLICATION_FAILED_MESSAGE
    )
    logger.warning(
        "publication %s failed (transient=%s): %s", publication.accession, transient, error
    )
    fields = {
        "error_kind": ErrorKind.APPLICATION,
        "error_code": "storage_unavailable" if transient else "publication_failed",
        "error_message": message,
        "error_details": details,
    }
    with transaction.atomic():
        if transient and attempts < settings.PROCESSING_MAX_ATTEMPTS:
            delay = workclaims.backoff_seconds(attempts=attempts)
            workclaims.owned(model=Publication, pk=publication.pk, token=token).update(**fields)
            if workclaims.requeue_later(
                model=Publication, pk=publication.pk, token=token, delay_s=delay
            ):
                dispatch.publish_dataset(submission_id=publication.submission_id, countdown=delay)
            return
        if workclaims.owned(model=Publication, pk=publication.pk, token=token).update(
            state=JobState.FAILED, finished_at=timezone.now(), **fields
        ):
            fail_submission(submission_id=publication.submission_id, reason=message)
