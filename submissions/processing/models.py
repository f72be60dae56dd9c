"""Background work from submission to publication: one conversion job per image file.

A job converts its file into a private review copy in staging as soon as the submission is
submitted (`review_prefix`); publication copies that tree into the archive (`archive_prefix`)
without converting again.

The database is the truth about this work; Celery messages only trigger it. Each row carries
the timestamps the sweeper needs to find work that has stopped moving (`due_at` for queued
work, `heartbeat_at` for running work) and a `claim_token` that fences out a worker whose
claim was taken away from it. Publication (publication.models) shares the same claim fields.
"""

from __future__ import annotations

import uuid

from django.db import models

from submissions.lifecycle.models import Submission
from submissions.quotas.models import QuotaReservation
from submissions.uploads.models import DataFile


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ErrorKind(models.TextChoices):
    NONE = "", "None"
    USER = "user", "Problem with the file"
    APPLICATION = "application", "Problem on our side"


class _ClaimedWork(models.Model):
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    claim_token = models.UUIDField(null=True, blank=True)
    # When queued work should have started (a retry with backoff sets it in the future).
    due_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_kind = models.CharField(max_length=12, choices=ErrorKind.choices, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    # Converter output tail, validation problems, tracebacks: for admins, not researchers.
    error_details = models.TextField(blank=True)

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.RUNNING)


class ConversionJob(_ClaimedWork):
    """Converting one image file to OME-Zarr: a review copy in staging, then the archive.

    `data_file` becomes NULL when the researcher removes the file while changes are
    requested; such a job is an orphan whose review copy is reused by a new file with the
    same SHA-256 or deleted (processing.review_copies)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="conversion_jobs"
    )
    data_file = models.OneToOneField(
        DataFile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversion_job",
    )
    # The SHA-256 of the bytes this job converts (the file's, copied when the job is made).
    source_sha256 = models.CharField(max_length=64, blank=True)
    # The review copy in staging: the tree and its thumbnail, and the staging quota it uses.
    review_prefix = models.CharField(max_length=255, blank=True)
    review_thumbnail_key = models.CharField(max_length=255, blank=True)
    review_reservation = models.ForeignKey(
        QuotaReservation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=20, blank=True)
    # converter, version, args, input SHA-256, output bytes/object count, timings.
    provenance = models.JSONField(default=dict, blank=True)
    # Set by publication once the review copy is in the archive.
    archive_prefix = models.CharField(max_length=255, blank=True)
    thumbnail_key = models.CharField(max_length=255, blank=True)
    output_bytes = models.BigIntegerField(null=True, blank=True)
    object_count = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            models.Index(fields=["state", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        return f"conversion of {self.data_file_id} ({self.state})"
