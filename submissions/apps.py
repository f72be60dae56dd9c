from __future__ import annotations

from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    """One Django app holding every domain as a subpackage (accounts, lifecycle, rembi,
    uploads, review, processing, publication, quotas, notifications); see
    docs/architecture.md. Its models are gathered in `submissions.models` for Django."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "submissions"
    verbose_name = "Aperture"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from submissions.accounts.middleware import mark_seen

        # Signing in is the first sign of life of a session (accounts.middleware).
        user_logged_in.connect(mark_seen, dispatch_uid="aperture-session-seen")
