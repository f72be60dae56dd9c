"""A file of a submission. Its bytes live in staging storage under a key the server chose."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from submissions.lifecycle.models import Submission
from submissions.quotas.models import QuotaReservation


class FileStatus(models.TextChoices):
    UPLOADING = "uploading", "Uploading"
    UPLOADED = "uploaded", "Uploaded"
    VERIFIED = "verified", "Verified"
    INSPECTED = "inspected", "Inspected"
    FAILED = "failed", "Failed"
    ABORTED = "aborted", "Aborted"


class ChecksumAlgorithm(models.TextChoices):
    SHA256 = "sha256", "SHA-256"
    CRC32C = "crc32c", "CRC32C"


class DataFile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    # What the researcher called it (sanitised, for display), never used as a storage key.
    name = models.CharField(max_length=255)
    storage_key = models.CharField(max_length=255, unique=True)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, blank=True)
    detected_type = models.CharField(max_length=80, blank=True)
    status = models.CharField(
        max_length=12, choices=FileStatus.choices, default=FileStatus.UPLOADING
    )
    failure_code = models.CharField(max_length=60, blank=True)
    failure_message = models.TextField(blank=True)
    inspection = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    # --- the upload that brings the bytes (submissions.uploads.services) ---
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="uploads",
    )
    # The client's identity for the local file (path, size, mtime): finds an upload to resume.
    fingerprint = models.CharField(max_length=200, blank=True)
    # Whole-file SHA-256 the client declared, checked by the fixity task when present.
    declared_sha256 = models.CharField(max_length=64, blank=True)
    checksum_algorithm = models.CharField(
        max_length=10, choices=ChecksumAlgorithm.choices, default=ChecksumAlgorithm.SHA256
    )
    part_size = models.BigIntegerField(default=0)
    # S3's UploadId of the multipart upload (empty with folder storage).
    multipart_id = models.CharField(max_length=255, blank=True)
    reservation = models.ForeignKey(
        QuotaReservation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_activity_at = models.DateTimeField(default=timezone.now)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    verification_started_at = models.DateTimeField(null=True, blank=True)
    # When retention deleted its bytes, after its submission was rejected or withdrawn
    # (submissions.uploads.services.retention); the row stays for the record.
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "created_at"]
        indexes = [models.Index(fields=["status", "last_activity_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def part_count(self) -> int:
        if self.part_size <= 0 or self.size == 0:
            return 1
        return -(-self.size // self.part_size)

    def expected_part_size(self, number: int) -> int:
        if self.size == 0:
            return 0
        return min(self.part_size, self.size - (number - 1) * self.part_size)


class UploadPart(models.Model):
    """A part that arrived (folder storage) or was signed for (S3, where S3 keeps the truth)."""

    datafile = models.ForeignKey(DataFile, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveIntegerField()
    size = models.BigIntegerField()
    checksum = models.CharField(max_length=100)  # base64, as S3's x-amz-checksum-* headers
    etag = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["datafile", "number"], name="one_row_per_part")
        ]

    def __str__(self) -> str:
        return f"{self.datafile_id} part {self.number}"


class RetentionPurge(models.Model):
    """The deletion of a rejected or withdrawn submission's uploaded files once their
    retention period has passed (submissions.uploads.services.retention).

    `claim_token` and `claimed_at` are the conditional-update claim of the run deleting them
    (a claim older than the lease is taken over); `purged_at` is set, with what was freed,
    in the transaction that gives the quota back.
    """

    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, related_name="retention_purge"
    )
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    file_count = models.PositiveIntegerField(default=0)
    freed_bytes = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"files of {self.submission_id} ({'deleted' if self.purged_at else 'kept'})"
