from __future__ import annotations

from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "submissions"
    verbose_name = "Aperture submissions"

    def ready(self) -> None:
        # Lifecycle hooks: the snapshot at submit and the mail (curation), and approval
        # starting processing (importing the module registers it).
        from submissions.services import notifications, processing, review  # noqa: F401

        review.register()
        notifications.register()
