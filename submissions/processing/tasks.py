"""Tasks of the processing pipeline: inspection, starting processing, conversion, the sweeper.

Each one is idempotent: its service claims the row with a conditional update, so a
duplicate or late message does nothing. Messages are acknowledged after the task ends
(acks_late) so a worker lost mid-task leaves its message to be delivered again; the sweeper
re-sends anything whose message was lost altogether. `convert_file` runs on the `conversion`
queue (CELERY_TASK_ROUTES); everything else on `default`.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from submissions.core import storage
from submissions.processing import inspection, jobs, review_copies, services, sweeper


class TransientStorageError(Exception):
    """Raised to make Celery retry an inspection whose storage read failed transiently."""


@shared_task(
    autoretry_for=(TransientStorageError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=3600,
)
def inspect_file(*, file_id: str) -> None:
    try:
        inspection.inspect_data_file(file_id=file_id)
    except Exception as error:
        if storage.is_transient(error):
            raise TransientStorageError(str(error)) from error
        raise


@shared_task
def start_review_copies(*, submission_id: str) -> None:
    review_copies.start_review_copies(submission_id=submission_id)


@shared_task(
    autoretry_for=(TransientStorageError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=3600,
)
def clean_up_review_copies(*, submission_id: str) -> None:
    try:
        review_copies.clean_up_review_copies(submission_id=submission_id)
    except Exception as error:
        if storage.is_transient(error):
            raise TransientStorageError(str(error)) from error
        raise


@shared_task
def start_processing(*, submission_id: str) -> None:
    services.start_processing(submission_id=submission_id)


# The converter child process has its own wall-clock limit; this is the backstop.
@shared_task(soft_time_limit=settings.CONVERSION_TIMEOUT_SECONDS + 3600)
def convert_file(*, job_id: str) -> None:
    jobs.run_conversion(job_id=job_id)


@shared_task(ignore_result=True)
def sweep_stuck_work() -> dict[str, int]:
    return sweeper.sweep_stuck_work()
