"""Celery tasks, one module per area. Tasks are thin: they take ids and call a service.

Celery's autodiscovery imports this module, which imports them all. Names are explicit so
routing by name works: `submissions.tasks.convert_*` goes to the `conversion` queue.
"""

from __future__ import annotations

from submissions.tasks import quota
from submissions.tasks.notifications import (
    send_comment_mail,
    send_daily_digest,
    send_submission_mail,
)
from submissions.tasks.processing import (
    convert_file,
    inspect_file,
    publish_dataset,
    start_processing,
    sweep_stuck_work,
)
from submissions.tasks.uploads import expire_stale_uploads, verify_upload

__all__ = [
    "convert_file",
    "expire_stale_uploads",
    "inspect_file",
    "publish_dataset",
    "quota",
    "send_comment_mail",
    "send_daily_digest",
    "send_submission_mail",
    "start_processing",
    "sweep_stuck_work",
    "verify_upload",
]
