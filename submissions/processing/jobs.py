"""One conversion job: fetch the upload, convert it into its review copy, validate, thumbnail.

Jobs run from submit on (processing.review_copies); publication later copies the review
copy into the archive. The staging quota of the copy is held before converting and settled
with the real size when the result is recorded. The built-in converter writes the review
copy straight to its staging prefix (S3 or folder, see processing.targets): no push and no
scratch copy of the output; only bioformats2raw (which writes folders) still converts into
scratch and is pushed after.

Check-and-mark, work, check-and-record: the job is claimed with a conditional update, the
slow part (download, converter child process, upload) runs with no lock and no open
transaction while a heartbeat thread keeps the claim alive, and the result is recorded only
if the claim is still ours. A worker killed at any point leaves a RUNNING row whose heartbeat
stops; the sweeper queues it again, and the next attempt starts from a clean scratch dir and
overwrites whatever the killed one had pushed.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import time
import traceback
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from submissions.conversion.errors import ApplicationError, UserFileError
from submissions.conversion.runner import convert_file
from submissions.conversion.target import OutputLocation, S3Location
from submissions.conversion.thumbnail import make_thumbnail
from submissions.core import dispatch, keys, storage
from submissions.core.errors import QuotaExceeded
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing import review_copies, targets, workclaims
from submissions.processing.inspection import safe_local_name
from submissions.processing.models import ConversionJob, ErrorKind, JobState
from submissions.publication.models import Publication

logger = logging.getLogger(__name__)
# Share of the progress bar for each stage (conversion dominates).
_FETCH_END, _CONVERT_END = 0.05, 0.85
# Pushes retried inside one attempt before the attempt itself is retried.
_PUSH_ATTEMPTS = 3


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _converter() -> tuple[str, str | None]:
    if settings.BIOFORMATS2RAW:
        return "bioformats2raw", settings.BIOFORMATS2RAW
    return "builtin", None


def run_conversion(*, job_id: str) -> None:
    """Run one queued job to the end (succeeded, failed, or queued again for a retry)."""
    token = workclaims.claim(model=ConversionJob, pk=job_id)
    if token is None:
        return  # done, running elsewhere, or gone: a duplicate message is a no-op
    job = ConversionJob.objects.select_related(
        "data_file", "submission", "submission__owner", "submission__facility"
    ).get(pk=job_id)
    status = job.submission.status
    if status in review_copies.DISCARDED or job.data_file is None:
        # Rejected, withdrawn, or its file removed: nothing to convert, the copy goes.
        workclaims.requeue_later(model=ConversionJob, pk=job.pk, token=token, delay_s=0)
        if status in review_copies.DISCARDED:
            review_copies.discard_job(job=job)
        return
    if status not in review_copies.CONVERTIBLE:
        workclaims.requeue_later(model=ConversionJob, pk=job.pk, token=token, delay_s=0)
        return  # e.g. processing failed meanwhile: the retry button re-queues it
    scratch_root = Path(settings.CONVERSION_SCRATCH_DIR)
    # An earlier attempt's converter may outlive its killed worker (it runs in its own
    # process group): each attempt gets its own directory, and older ones are removed.
    for stale in scratch_root.glob(f"job-{job.pk}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    scratch = scratch_root / f"job-{job.pk}-{token.hex[:8]}"
    (scratch / "tmp").mkdir(parents=True)
    try:
        with workclaims.Heartbeat(
            model=ConversionJob, pk=job.pk, token=token, progress_field="progress"
        ) as beat:
            outcome = _convert_and_push(job=job, scratch=scratch, beat=beat, attempt=token.hex[:8])
    except Exception as error:
        _record_failure(job=job, token=token, error=error)
        return
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _record_success(job=job, token=token, outcome=outcome)


def _reserve(job: ConversionJob) -> None:
    try:
        review_copies.reserve_space(job=job)
    except QuotaExceeded as error:
        raise UserFileError(
            code="quota_exceeded",
            message=(
                "There is not enough staging space for the review copy of this image. "
                f"{error.message} Remove files you do not need or ask your facility for more "
                "space; the image is converted again when you resubmit."
            ),
        ) from error


def _convert_and_push(
    *, job: ConversionJob, scratch: Path, beat: workclaims.Heartbeat, attempt: str
) -> dict[str, Any]:
    data_file = job.data_file
    assert data_file is not None
    _reserve(job)
    timings: dict[str, float] = {}
    started = time.monotonic()
    beat.set(stage="fetching")
    converter, executable = _converter()
    prefix = keys.review_prefix(submission_id=job.submission_id, job_id=job.pk, attempt=attempt)
    direct = converter == "builtin"
    local_output = scratch / "output" / f"{data_file.pk}.ome.zarr"
    output: OutputLocation = local_output
    if direct:
        output = targets.conversion_output(storage=storage.staging(), prefix=prefix)
    else:
        local_output.parent.mkdir()
    streamed = targets.streamed_input(data_file=data_file, output=output) if direct else None
    with contextlib.ExitStack() as stack:
        if streamed is not None:
            # A TIFF in S3 staging is read by ranged GETs: no local copy of the input either.
            source: Path | S3Location = streamed
            checksum = data_file.sha256
        else:
            local_input = stack.enter_context(
                storage.local_copy(
                    storage=storage.staging(),
                    key=data_file.storage_key,
                    directory=scratch / "input",
                    name=safe_local_name(data_file.name),
                )
            )
            if not local_input.exists():  # a dangling link to a staged file that is not there
                raise ApplicationError(
                    code="upload_missing",
                    message=f"The staged upload {data_file.storage_key} is missing.",
                )
            source = local_input
            checksum = data_file.sha256 or _sha256(local_input)
        timings["fetch_seconds"] = round(time.monotonic() - started, 3)
        beat.set(stage="converting")
        beat.progress(1.0, end=_FETCH_END)
        result = convert_file(
            input_path=source,
            input_name=data_file.name,
            output_path=output,
            scratch_dir=scratch / "tmp",
            converter=converter,  # type: ignore[arg-type]
            bioformats2raw_path=executable,
            timeout_s=settings.CONVERSION_TIMEOUT_SECONDS,
            memory_limit_bytes=settings.CONVERSION_MEMORY_LIMIT_BYTES or None,
            max_workers=settings.CONVERSION_MAX_WORKERS,
            output_format=targets.output_format(),
            overwrite=True,  # an earlier attempt's output at the same prefix is replaced
            input_sha256=checksum,
            on_progress=lambda f: beat.progress(
                f, start=_FETCH_END, end=0.98 if direct else _CONVERT_END
            ),
        )
    if direct:
        # Written and validated in place: the listing validation took is what is stored.
        tree = storage.TreeReport(object_count=result.object_count, total_bytes=result.output_bytes)
    else:
        beat.set(stage="uploading")
        pushed_at = time.monotonic()
        tree = _push_with_retries(output=local_output, prefix=prefix, beat=beat)
        timings["push_seconds"] = round(time.monotonic() - pushed_at, 3)
    thumb_key = keys.review_thumbnail_key(submission_id=job.submission_id, job_id=job.pk)
    thumb = _thumbnail(make_thumbnail, output, thumb_key, data_file.pk)
    provenance = {**result.as_dict(), **timings}
    provenance["output_tail"] = provenance.get("output_tail", "")[-2000:]
    provenance["input_name"] = data_file.name
    provenance.pop("input_path", None)
    provenance.pop("output_path", None)
    provenance["review_prefix"] = prefix
    provenance["output_objects"] = tree.object_count
    provenance["output_bytes"] = tree.total_bytes
    return {"prefix": prefix, "tree": tree, "thumbnail": thumb, "provenance": provenance}


def _push_with_retries(
    *, output: Path, prefix: str, beat: workclaims.Heartbeat
) -> storage.TreeReport:
    """Push the tree; a transient storage failure is retried here (the conversion is kept)
    a few times with backoff before the whole attempt is given back for a later retry."""
    for attempt in range(1, _PUSH_ATTEMPTS + 1):
        try:
            return storage.upload_tree(
                local_root=output,
                storage=storage.staging(),
                prefix=prefix,
                on_progress=lambda f: beat.progress(f, start=_CONVERT_END, end=0.98),
            )
        except Exception as error:
            if attempt == _PUSH_ATTEMPTS or not storage.is_transient(error):
                raise
            delay = workclaims.backoff_seconds(attempts=attempt)
            logger.warning("push to %s failed (%s); retrying in %.0fs", prefix, error, delay)
            beat.set(stage=f"uploading (retry {attempt})")
            time.sleep(delay)
    raise AssertionError("unreachable")


def _thumbnail(make: Any, output: OutputLocation, key: str, file_id: Any) -> str:
    try:
        png = make(output=output, series=0, max_size=256)
    except Exception:  # a preview is a nicety; the dataset is still good without one
        logger.exception("thumbnail of %s failed", file_id)
        return ""
    storage.write_bytes(storage=storage.staging(), key=key, data=png, content_type="image/png")
    return key


def _record_success(*, job: ConversionJob, token: Any, outcome: dict[str, Any]) -> None:
    with transaction.atomic():
        # Locking the submission serialises the last jobs to finish: exactly one of them
        # sees all jobs succeeded and queues publication.
        status = (
            Submission.objects.select_for_update()
            .values_list("status", flat=True)
            .get(pk=job.submission_id)
        )
        recorded = workclaims.owned(model=ConversionJob, pk=job.pk, token=token).update(
            state=JobState.SUCCEEDED,
            progress=1.0,
            stage="done",
            finished_at=timezone.now(),
            provenance=outcome["provenance"],
            review_prefix=outcome["prefix"],
            review_thumbnail_key=outcome["thumbnail"],
            output_bytes=outcome["tree"].total_bytes,
            object_count=outcome["tree"].object_count,
            error_kind=ErrorKind.NONE,
            error_code="",
            error_message="",
            error_details="",
        )
        if not recorded:
            logger.warning("job %s finished after its claim was taken back", job.pk)
            return
        review_copies.settle_space(job=job, nbytes=outcome["tree"].total_bytes)
        if status in review_copies.DISCARDED:
            # Rejected or withdrawn while converting: the copy is deleted, quota freed.
            dispatch.clean_up_review_copies(submission_id=job.submission_id)
            return
        others = (
            ConversionJob.objects.filter(submission_id=job.submission_id)
            .exclude(data_file=None)
            .exclude(state=JobState.SUCCEEDED)
        )
        if status == SubmissionStatus.PROCESSING and not others.exists():
            Publication.objects.filter(
                submission_id=job.submission_id, state=JobState.QUEUED
            ).update(due_at=timezone.now())
            dispatch.publish_dataset(submission_id=job.submission_id)


_INTERNAL_MESSAGE = (
    "The conversion failed because of a problem on Aperture's side, not with your file. The "
    "facility's curators can see the details and retry."
)


def _classify(error: BaseException) -> tuple[str, str, str, str, bool]:
    """(kind, code, message, details, transient) for any failure of a job."""
    if isinstance(error, UserFileError):
        return ErrorKind.USER, error.code, error.message, error.details, False
    if isinstance(error, ApplicationError):
        # Our side's messages can name paths and binaries: curators read them in the details,
        # the researcher reads a message about what happens next.
        details = f"{error.message}\n\n{error.details}".strip()
        return ErrorKind.APPLICATION, error.code, _INTERNAL_MESSAGE, details, error.transient
    details = "".join(traceback.format_exception(error))[-4000:]
    if storage.is_transient(error):
        message = "Object storage was unavailable; the transfer will be retried."
        return ErrorKind.APPLICATION, "storage_unavailable", message, details, True
    return ErrorKind.APPLICATION, "internal_error", _INTERNAL_MESSAGE, details, False


def _record_failure(*, job: ConversionJob, token: Any, error: BaseException) -> None:
    kind, code, message, details, transient = _classify(error)
    logger.warning("job %s failed (%s, transient=%s): %s", job.pk, code, transient, message)
    attempts = ConversionJob.objects.filter(pk=job.pk).values_list("attempts", flat=True).first()
    with transaction.atomic():
        fields = {
            "error_kind": kind,
            "error_code": code[:60],
            "error_message": message,
            "error_details": details[-8000:],
        }
        if transient and (attempts or 0) < settings.PROCESSING_MAX_ATTEMPTS:
            delay = workclaims.backoff_seconds(attempts=attempts or 1)
            if workclaims.owned(model=ConversionJob, pk=job.pk, token=token).update(**fields):
                workclaims.requeue_later(model=ConversionJob, pk=job.pk, token=token, delay_s=delay)
                dispatch.convert_file(job_id=job.pk, countdown=delay)
            return
        failed = workclaims.owned(model=ConversionJob, pk=job.pk, token=token).update(
            state=JobState.FAILED, finished_at=timezone.now(), **fields
        )
        if failed:
            review_copies.give_back_space(reservation=job.review_reservation)
            review_copies.conversion_failed(
                job=job,
                message=message,
                attempt=attempts or 0,
                users_fault=kind == ErrorKind.USER,
            )
