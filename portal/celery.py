"""The Celery application: queue "default" (inspection, mail, sweeps), "conversion" (converters)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.development")

app = Celery("aperture")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each domain keeps its background jobs in its own `tasks` module.
app.autodiscover_tasks(
    [
        "submissions.uploads",
        "submissions.processing",
        "submissions.publication",
        "submissions.quotas",
        "submissions.notifications",
    ]
)


@app.on_after_configure.connect
def _schedule_retention(sender: Celery, **_kwargs: Any) -> None:
    """Daily: the uploads of rejected and withdrawn submissions past
    TERMINAL_STAGING_RETENTION_DAYS are deleted and their staging quota freed
    (submissions.uploads.services.retention). Added here, into the same beat schedule as
    settings' CELERY_BEAT_SCHEDULE, to leave settings/base.py to its one retention setting."""
    sender.add_periodic_task(
        crontab(hour=3, minute=15),
        sender.signature("submissions.uploads.tasks.purge_terminal_uploads"),
        name="purge-terminal-uploads",
    )


@worker_init.connect
def _prepare_worker(**_kwargs: Any) -> None:
    """A worker creates its scratch and storage folders when it starts, or stops at once."""
    from submissions.core import paths

    paths.prepare("worker")


@beat_init.connect
def _prepare_beat(**_kwargs: Any) -> None:
    from submissions.core import paths

    paths.prepare("beat")
