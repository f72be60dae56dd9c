"""Mail: the kinds Aperture sends, what each person does not want, and what was sent (one row
per message, so each is sent exactly once)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from submissions.lifecycle.models import Submission


class NotificationKind(models.TextChoices):
    SUBMITTED = "submitted", "A submission is waiting for review"
    CHANGES_REQUESTED = "changes_requested", "Changes are requested on my submission"
    APPROVED = "approved", "My submission is approved"
    REJECTED = "rejected", "My submission is rejected"
    WITHDRAWN = "withdrawn", "I withdraw a submission"
    PUBLISHED = "published", "My dataset is published"
    RELEASED = "released", "A dataset I submitted or curate is released from embargo"
    PROCESSING_FAILED = "processing_failed", "Processing of a dataset failed"
    REVIEW_COPY_FAILED = "review_copy_failed", "An image I submitted could not be converted"
    # To facility admins: a conversion for review failed on Aperture's side (storage, the
    # converter), not because of the file; nobody can mute it, like FIXITY.
    REVIEW_COPY_ERROR = "review_copy_error", "An image could not be converted on our side"
    DIGEST = "digest", "Daily digest of submissions waiting for review"
    COMMENT = "comment", "Someone comments on a submission I submitted or curate"
    SOFT_LIMIT = "soft_limit", "Storage I use passes its soft limit"
    QUOTA_REQUEST = "quota_request", "A quota-increase request is filed or decided"
    # To facility admins when archived bytes differ from their manifest; nobody can mute it.
    FIXITY = "fixity", "An archived dataset differs from its manifest"
    # Sent to an address that may have no account yet, so nobody can mute it.
    INVITATION = "invitation", "An invitation to join a facility"


# The kinds a person can turn off on their mail settings page: all but an invitation (an
# address that may have no account yet) and the alerts that need an admin to act.
_ALWAYS_SENT = (
    NotificationKind.INVITATION,
    NotificationKind.FIXITY,
    NotificationKind.REVIEW_COPY_ERROR,
)
MUTABLE_KINDS = [kind for kind in NotificationKind if kind not in _ALWAYS_SENT]


class NotificationPreference(models.Model):
    """The kinds of mail a person does not want. No row means every kind is wanted."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    muted = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id} mutes {', '.join(self.muted) or 'nothing'}"


class SentNotification(models.Model):
    """One mail sent. Its (address, kind, key) is the idempotency key: a repeated trigger (a
    retried task, two callers) finds the row and sends nothing."""

    address = models.EmailField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    # What triggered it: the status event ("event:42"), the comment, the day of a digest...
    key = models.CharField(max_length=80)
    subject = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["address", "kind", "key"], name="one_notification_per_trigger"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.address}"
