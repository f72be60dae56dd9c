"""A dataset's publication: originals, manifest and marker written to the archive, then public
at its release date; its DOI; and, if it is ever taken down, its tombstone."""

from __future__ import annotations

from django.db import models

from submissions.lifecycle.models import Submission
from submissions.processing.models import _ClaimedWork


class Publication(_ClaimedWork):
    """Writing a dataset's originals, manifest and marker to the archive, then publishing.

    `state` stays QUEUED with `due_at` in the far future while conversion jobs still run
    (`waiting` in the UI); the last job to succeed brings it due.

    Once published, the dataset is embargoed until `release_date`; `released_at` is set by
    `publication.services.release` (the beat task, or a curator early) and is what every
    public read checks. `record_updated_at` moves whenever what harvesters see changes
    (release, tombstone, DOI), so OAI-PMH's selective harvesting finds the change.
    """

    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, related_name="publication"
    )
    accession = models.CharField(max_length=40, unique=True)
    marker_written_at = models.DateTimeField(null=True, blank=True)
    object_count = models.PositiveIntegerField(null=True, blank=True)
    total_bytes = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The embargo in force: copied from the REMBI release date at publication, changed only
    # by a curator (release early, extend) through publication.services.release.
    release_date = models.DateField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True, db_index=True)
    record_updated_at = models.DateTimeField(null=True, blank=True, db_index=True)
    tombstoned_at = models.DateTimeField(null=True, blank=True)
    tombstone_reason = models.TextField(blank=True)
    # What the public datasets API searches, written once at release from the REMBI
    # description as "|term|term|" (portable exact-term search on SQLite and PostgreSQL).
    index_keywords = models.TextField(blank=True)
    index_taxa = models.TextField(blank=True)
    index_methods = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "release_date"], name="publication_due_release")]

    def __str__(self) -> str:
        return f"{self.accession} ({self.state})"

    @property
    def is_released(self) -> bool:
        return self.released_at is not None and self.tombstoned_at is None


class DoiState(models.TextChoices):
    NONE = "", "Not registered"
    DRAFT = "draft", "Draft"
    REGISTERED = "registered", "Registered (hidden)"
    FINDABLE = "findable", "Findable"
    DELETED = "deleted", "Draft deleted"


class DoiRegistration(models.Model):
    """A dataset's DOI at the registration agency: what state it has there, and whether the
    agency's record matches ours. The database is the truth; `services.doi.sync` makes the
    agency agree, retried with backoff until it does (`due_at` set while out of step)."""

    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, related_name="doi_registration"
    )
    doi = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=12, choices=DoiState.choices, default=DoiState.NONE)
    # SHA-256 of the last payload the agency accepted: an unchanged record is not re-sent.
    synced_hash = models.CharField(max_length=64, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When the next attempt is due; None when the agency is in step with us.
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.doi} ({self.state or 'pending'})"
