"""Storage accounting: every byte that may land is reserved first, then settled or released."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .accounts import Facility, ResearchGroup
from .submission import Submission


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
