"""Storage accounting: an account per facility, group and user and storage area, with limits
and a ledger; reservations (every byte that may land is reserved first, then settled or
released); requests to raise a limit; daily usage snapshots for charts and charge-back."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from submissions.accounts.models import Facility, ResearchGroup
from submissions.lifecycle.models import Submission


class ReservationState(models.TextChoices):
    HELD = "held", "Held"
    SETTLED = "settled", "Settled"
    RELEASED = "released", "Released"


class QuotaReservation(models.Model):
    """Bytes promised to one upload (or one conversion output) until it completes or ends."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reservations"
    )
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="reservations")
    group = models.ForeignKey(
        ResearchGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submission = models.ForeignKey(
        Submission, on_delete=models.SET_NULL, null=True, blank=True, related_name="reservations"
    )
    area = models.CharField(max_length=10, default="staging")  # staging | archive
    nbytes = models.BigIntegerField()
    settled_bytes = models.BigIntegerField(null=True, blank=True)
    state = models.CharField(
        max_length=10, choices=ReservationState.choices, default=ReservationState.HELD
    )
    # Bytes of a settled reservation that were deleted later (staging cleared after
    # publication, a withdrawn dataset removed): usage = settled_bytes - deleted_bytes.
    deleted_bytes = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # A held reservation nobody settles or releases is released by a sweep after this.
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["facility", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(nbytes__gte=0), name="reservation_nbytes_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(deleted_bytes__gte=0), name="reservation_deleted_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nbytes} B for {self.user_id} ({self.state})"


class QuotaScope(models.TextChoices):
    FACILITY = "facility", "Facility"
    GROUP = "group", "Group"
    USER = "user", "User"


class StorageArea(models.TextChoices):
    STAGING = "staging", "Staging (uploads)"
    ARCHIVE = "archive", "Archive (published)"


class QuotaAccount(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="quota_accounts")
    scope = models.CharField(max_length=10, choices=QuotaScope.choices)
    group = models.ForeignKey(
        ResearchGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    area = models.CharField(max_length=10, choices=StorageArea.choices)
    # None means "no limit at this level"; the tightest limit that applies wins.
    soft_limit = models.BigIntegerField(null=True, blank=True)
    hard_limit = models.BigIntegerField(null=True, blank=True)
    used_bytes = models.BigIntegerField(default=0)
    held_bytes = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["facility", "scope", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "area"],
                condition=Q(scope="facility"),
                name="one_facility_account_per_area",
            ),
            models.UniqueConstraint(
                fields=["group", "area"],
                condition=Q(scope="group"),
                name="one_group_account_per_area",
            ),
            models.UniqueConstraint(
                fields=["facility", "user", "area"],
                condition=Q(scope="user"),
                name="one_user_account_per_facility_area",
            ),
            models.CheckConstraint(
                condition=(Q(scope="facility", group__isnull=True, user__isnull=True))
                | Q(scope="group", group__isnull=False, user__isnull=True)
                | Q(scope="user", group__isnull=True, user__isnull=False),
                name="quota_account_scope_matches_subject",
            ),
            models.CheckConstraint(
                condition=Q(used_bytes__gte=0) & Q(held_bytes__gte=0),
                name="quota_account_ledger_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(soft_limit__isnull=True) | Q(soft_limit__gte=0))
                & (Q(hard_limit__isnull=True) | Q(hard_limit__gte=0)),
                name="quota_account_limits_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(soft_limit__isnull=True)
                | Q(hard_limit__isnull=True)
                | Q(soft_limit__lte=F("hard_limit")),
                name="quota_account_soft_below_hard",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_label} ({self.area})"

    @property
    def subject_label(self) -> str:
        if self.scope == QuotaScope.GROUP and self.group is not None:
            return self.group.name
        if self.scope == QuotaScope.USER and self.user is not None:
            return self.user.display_name
        return self.facility.name

    @property
    def total_bytes(self) -> int:
        return self.used_bytes + self.held_bytes


class UsageSnapshot(models.Model):
    """An account's usage at the end of a day, taken by a beat task, for charts and billing."""

    account = models.ForeignKey(QuotaAccount, on_delete=models.CASCADE, related_name="snapshots")
    day = models.DateField(db_index=True)
    used_bytes = models.BigIntegerField()
    held_bytes = models.BigIntegerField()
    hard_limit = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["account", "day"], name="one_snapshot_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} on {self.day}: {self.used_bytes}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    WITHDRAWN = "withdrawn", "Withdrawn"


class QuotaIncreaseRequest(models.Model):
    """A researcher asks for a higher hard limit on their own or their group's quota."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="quota_requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quota_requests"
    )
    account = models.ForeignKey(QuotaAccount, on_delete=models.CASCADE, related_name="requests")
    current_hard_limit = models.BigIntegerField(null=True, blank=True)
    requested_hard_limit = models.BigIntegerField()
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["facility", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(status="pending"),
                name="one_pending_request_per_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.requester_id} asks {self.requested_hard_limit} B ({self.status})"
