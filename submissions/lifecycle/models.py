"""A submission: one dataset on its way from a researcher to publication; its timeline of
events; and the counter accessions are allocated from."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from submissions.accounts.models import Facility, ResearchGroup


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    PROCESSING = "processing", "Processing"
    PUBLISHED = "published", "Published"
    PROCESSING_FAILED = "processing_failed", "Processing failed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    # A published dataset taken down: its landing page stays as a tombstone.
    TOMBSTONED = "tombstoned", "Withdrawn from publication"


class Submission(models.Model):
    """Only services change `status` (submissions.lifecycle.services)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="submissions")
    group = models.ForeignKey(
        ResearchGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submissions",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submissions"
    )
    title = models.CharField(max_length=300)
    status = models.CharField(
        max_length=20, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT
    )
    # The REMBI description: validated by submissions.rembi.services before it is stored.
    metadata = models.JSONField(default=dict, blank=True)
    # Values typed in the editor that are not valid yet, as typed, by dotted field path
    # ({"study.authors.0.orcid": "0000-12"}): never part of `metadata`, shown back in the
    # editor with their errors until fixed, and each one stops submitting
    # (submissions.rembi.services.drafts).
    draft_values = models.JSONField(default=dict, blank=True)
    accession = models.CharField(max_length=40, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    # The curator who claimed the review, or was given it (submissions.review.services).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_reviews",
    )
    # True while one of its files has failed its checks; kept by the uploads service
    # (submissions.uploads.services.failures) for the review queue's "has failures" filter.
    has_failed_files = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["facility", "status", "submitted_at"]),
            models.Index(fields=["owner", "-created_at"]),
            # The review queue (selectors_review): all states oldest first, the waiting
            # states alone (the default view), and its other sort orders.
            # Drafts (no submitted_at) left out: a newest-first scan would start with them.
            models.Index(
                fields=["facility", "submitted_at"],
                condition=~models.Q(status="draft"),
                name="queue_submitted",
            ),
            # The submitter and assignee filters and the submitter sort, per state, without
            # reading the rows of other people.
            models.Index(
                fields=["facility", "owner", "status", "submitted_at"], name="queue_owner"
            ),
            models.Index(
                fields=["facility", "assignee", "status", "submitted_at"], name="queue_assignee"
            ),
            models.Index(
                fields=["facility", "submitted_at", "id"],
                condition=models.Q(status__in=["submitted", "in_review"]),
                name="queue_waiting_oldest",
            ),
            # "Has failures": the few submissions with a failed file, in queue order.
            models.Index(
                fields=["facility", "submitted_at"],
                condition=models.Q(has_failed_files=True) & ~models.Q(status="draft"),
                name="queue_failed",
            ),
            models.Index(fields=["facility", "title"], name="queue_facility_title"),
            models.Index(fields=["facility", "-updated_at"], name="queue_facility_updated"),
        ]

    def __str__(self) -> str:
        return self.title


class SubmissionEvent(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    kind = models.CharField(max_length=40, default="status")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.from_status} -> {self.to_status}"


class AccessionCounter(models.Model):
    """The next number for each accession prefix. Locked to allocate; never goes back."""

    prefix = models.CharField(max_length=20, primary_key=True)
    next_value = models.PositiveBigIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.prefix}-{self.next_value}"
