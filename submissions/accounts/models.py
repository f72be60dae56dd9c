"""People, the facilities they belong to and their roles there; invitations to join a facility
and the audit trail of what its admins changed."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.crypto import salted_hmac


class _EmailUserManager(UserManager["User"]):
    """Users sign in with their e-mail address; the username is kept equal to it."""

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.pop("username", None)
        return super().create_user(email, email, password, **extra)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.pop("username", None)
        return super().create_superuser(email, email, password, **extra)


class User(AbstractUser):
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    orcid = models.CharField("ORCID iD", max_length=19, blank=True)
    # Raised by "log out everywhere": part of the credentials hash below, so every session and
    # API token made before it stops working at once, whatever the session store.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects = _EmailUserManager()  # type: ignore[misc]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.username = self.email
        super().save(*args, **kwargs)

    def credentials_hash(self, secret: str | bytes | None = None) -> str:
        """An HMAC of the password hash and the session epoch. Django keeps it in each session
        and drops a session whose hash no longer matches; API tokens carry it too. A new
        password or "log out everywhere" therefore ends both."""
        return salted_hmac(
            "aperture.accounts.User.credentials_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_session_auth_hash(self) -> str:
        return self.credentials_hash()

    def get_session_auth_fallback_hash(self) -> Any:
        for fallback in settings.SECRET_KEY_FALLBACKS:
            yield self.credentials_hash(secret=fallback)

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.email


class Facility(models.Model):
    """An imaging facility: it owns members, quotas and the submissions made through it."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    # The facility as the publisher of its datasets (schema.org, RO-Crate, DataCite).
    ror = models.CharField(
        "ROR id", max_length=60, blank=True, help_text="e.g. https://ror.org/02catss52"
    )
    # An embargoed dataset's landing page shows its accession, facility and release date; its
    # title only when the facility chooses so (accessions are sequential, titles can say much).
    show_embargoed_titles = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # A curator may decide on a submission they own or co-author only where this is on
    # (small facilities with one curator); each such decision is marked in the timeline.
    allow_self_review = models.BooleanField(
        "curators may review their own submissions", default=False
    )
    # Once a dataset is published its uploads are freed from staging (the archive holds the
    # originals and the OME-Zarr); a facility that wants the staged copies too keeps them.
    keep_staging_after_publication = models.BooleanField(
        "keep uploads in staging after publication", default=False
    )

    class Meta:
        verbose_name_plural = "facilities"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ResearchGroup(models.Model):
    """A lab inside a facility. Researchers see their group's submissions."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "name"], name="unique_group_per_facility")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.facility.name})"


class Role(models.TextChoices):
    RESEARCHER = "researcher", "Researcher"
    CURATOR = "curator", "Curator"
    FACILITY_ADMIN = "facility_admin", "Facility admin"


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="memberships")
    group = models.ForeignKey(
        ResearchGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.RESEARCHER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "facility"], name="one_membership_per_facility")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.facility}"


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


class ApiToken(models.Model):
    """A personal API token (`Authorization: Token <key>`). Only the key's SHA-256 is stored:
    the key is shown once, when it is made. It stops working at `expires_at`, when it is
    revoked (deleted), and when its owner's credentials change (`credentials` no longer
    matches: a new password, "log out everywhere")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)  # the key's first characters, to tell tokens apart
    digest = models.CharField(max_length=64, unique=True)
    credentials = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
