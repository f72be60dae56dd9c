from __future__ import annotations

from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    """One Django app holding every domain as a subpackage (accounts, lifecycle, rembi,
    uploads, review, processing, publication, quotas, notifications); see
    docs/architecture.md. Its models are gathered in `submissions.models` for Django."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "submissions"
    verbose_name = "Aperture"
