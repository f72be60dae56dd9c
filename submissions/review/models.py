"""Review: the conversation about a submission, change requests, and what was shown to the
curators at each submit (snapshots, for the diff)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from submissions.lifecycle.models import Submission, SubmissionEvent
from submissions.uploads.models import DataFile

# A dotted path into the metadata document ("authors.0.orcid") or a top-level field ("title").
FIELD_PATH_MAX = 300


class ReviewComment(models.Model):
    """One message of the thread between the researcher and the curators.

    It may point at a metadata field (a dotted path) or at a file of the submission.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField()
    field_path = models.CharField(max_length=FIELD_PATH_MAX, blank=True)
    file = models.ForeignKey(
        DataFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="comments"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["submission", "created_at"])]

    def __str__(self) -> str:
        return f"{self.author_id} on {self.submission_id}: {self.body[:40]}"


class ChangeRequest(models.Model):
    """A curator's "please change": a message and points, open until the next submit."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="change_requests"
    )
    curator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    event = models.OneToOneField(
        SubmissionEvent, on_delete=models.SET_NULL, null=True, related_name="change_request"
    )
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Changes requested on {self.submission_id}"


class ChangeRequestPoint(models.Model):
    """One thing to change, about one field (dotted path) or one file, or the whole dataset."""

    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.CASCADE, related_name="points"
    )
    field_path = models.CharField(max_length=FIELD_PATH_MAX, blank=True)
    file = models.ForeignKey(
        DataFile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField()
    # A point made in the viewer: what was shown ({"series", "z", "t", "channels": [{"index",
    # "name"}]}, 0-based) and a screenshot of it (a PNG in staging, server-chosen key).
    image_view = models.JSONField(default=dict, blank=True)
    screenshot_key = models.CharField(max_length=255, blank=True)
    screenshot_bytes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.field_path or self.file_id or 'general'}: {self.message[:40]}"


class SubmissionSnapshot(models.Model):
    """What the curators were shown at one submit: title, metadata and the file list.

    The diff "what changed since the last review" compares two consecutive snapshots.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="snapshots")
    round = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    metadata = models.JSONField(default=dict)
    files = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "round"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "round"], name="one_snapshot_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} round {self.round}"
