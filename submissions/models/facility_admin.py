"""Running a facility: invitations to join it and an audit trail of what its admins changed."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from .accounts import Facility, ResearchGroup, Role


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class FacilityInvitation(models.Model):
    """An e-mailed invitation; accepting it (signed in with that address) makes a membership."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.RESEARCHER)
    group = models.ForeignKey(
        ResearchGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} to {self.facility}"


class FacilityAuditEvent(models.Model):
    """One row per administrative change: who, when, what, and the values before and after."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    kind = models.CharField(max_length=40)
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.summary}"
