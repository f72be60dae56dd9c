"""A dataset's publication: originals, manifest and marker written to the archive, then public."""

from __future__ import annotations

from django.db import models

from submissions.lifecycle.models import Submission
from submissions.processing.models import _ClaimedWork


class Publication(_ClaimedWork):
    """Writing a dataset's originals, manifest and marker to the archive, then publishing.

    `state` stays QUEUED with `due_at` in the far future while conversion jobs still run
    (`waiting` in the UI); the last job to succeed brings it due.
    """

    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, related_name="publication"
    )
    accession = models.CharField(max_length=40, unique=True)
    marker_written_at = models.DateTimeField(null=True, blank=True)
    object_count = models.PositiveIntegerField(null=True, blank=True)
    total_bytes = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.accession} ({self.state})"
