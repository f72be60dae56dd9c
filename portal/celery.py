"""The Celery application: queue "default" (inspection, mail, sweeps), "conversion" (converters)."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
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


@worker_init.connect
def _prepare_worker(**_kwargs: Any) -> None:
    """A worker creates its scratch and storage folders when it starts, or stops at once."""
    from submissions.core import paths

    paths.prepare("worker")


@beat_init.connect
def _prepare_beat(**_kwargs: Any) -> None:
    from submissions.core import paths

    paths.prepare("beat")
