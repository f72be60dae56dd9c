"""The Celery application: queue "default" (inspection, mail, sweeps), "conversion" (converters)."""

from __future__ import annotations

import os

from celery import Celery

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
