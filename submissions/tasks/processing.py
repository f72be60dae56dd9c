"""Tasks of the processing pipeline (inspection, conversion, publication, the sweeper).

Each one is idempotent: its service claims the row with a conditional update, so a
duplicate or late message does nothing. Messages are acknowledged after the task ends
(acks_late) so a worker lost mid-task leaves its message to be delivered again; the sweeper
re-sends anything whose message was lost altogether.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings


class TransientStorageError(Exception):
    """Raised to make Celery retry an inspection whose storage read failed transiently."""


@shared_task(
    name="submissions.tasks.inspect_file",
    autoretry_for=(TransientStorageError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=3600,
)
def inspect_file(file_id: str) -> None:
    from submissions import storage
    from submissions.services.processing import inspect_data_file

    try:
        inspect_data_file(file_id=file_id)
    except Exception as error:
        if storage.is_transient(error):
            raise TransientStorageError(str(error)) from error
        raise


@shared_task(name="submissions.tasks.start_processing")
def start_processing(submission_id: str) -> None:
    from submissions.services.processing import start_processing as start

    start(submission_id=submission_id)


@shared_task(
    name="submissions.tasks.convert_file",
    # The converter child process has its own wall-clock limit; this is the backstop.
    soft_time_limit=settings.CONVERSION_TIMEOUT_SECONDS + 3600,
)
def convert_file(job_id: str) -> None:
    from submissions.services.conversion_jobs import run_conversion

    run_conversion(job_id=job_id)


@shared_task(name="submissions.tasks.publish_dataset", soft_time_limit=6 * 3600)
def publish_dataset(submission_id: str) -> None:
    from submissions.services.publication import publish_dataset as publish

    publish(submission_id=submission_id)


@shared_task(name="submissions.tasks.sweep_stuck_work", ignore_result=True)
def sweep_stuck_work() -> dict[str, int]:
    from submissions.services.sweeper import sweep_stuck_work as sweep

    return sweep()
