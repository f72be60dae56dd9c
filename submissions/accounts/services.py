"""Rules about people and facility membership: a person's own details (name, ORCID iD), and
the facility admin's members, roles and invitations. Every membership change writes a
FacilityAuditEvent with its before and after; the last admin cannot leave."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from submissions.accounts.models import (
    Facility,
    FacilityAuditEvent,
    FacilityInvitation,
    Membership,
    ResearchGroup,
    Role,
    User,
)
from submissions.accounts.permissions import is_facility_admin, role_in
from submissions.core import dispatch
from submissions.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from submissions.core.text import single_line
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.rembi.services.vocab import normalise_orcid

NAME_MAX = 200


# A facility's own rules, each a yes/no an administrator sets on the facility's settings page
# or with PATCH /api/v1/facilities/<slug>/settings/; the label is what the page says.
@dataclass(frozen=True)
class FacilitySetting:
    label: str
    help: str
    section: str = "review"  # the form of the settings page it is saved with


FACILITY_SETTINGS: dict[str, FacilitySetting] = {
    "allow_self_review": FacilitySetting(
        "Curators may review their own submissions",
        "Let a curator approve, reject or request changes on a submission they own or "
        "co-author (for facilities with a single curator). Each such decision is marked in "
        "the submission's timeline. When off, another curator must decide.",
    ),
    "keep_staging_after_publication": FacilitySetting(
        "Keep uploads in staging after publication",
        "Once a dataset is published, the archive holds its originals and OME-Zarr, and the "
        "uploaded copies in staging are deleted, so they no longer count against staging "
        "quotas. Tick this to keep the staged copies (they keep counting). Where the archive "
        "keeps no originals, the uploads are always kept.",
        section="storage",
    ),
}


def update_profile(*, user: User, full_name: str, orcid: str) -> User:
    """Save the name and ORCID iD (checksum-validated, stored canonically); all or nothing."""
    name = single_line(full_name)
    problems: dict[str, list[str]] = {}
    if len(name) > NAME_MAX:
        problems["full_name"] = [f"At most {NAME_MAX} characters, please."]
    canonical = ""
    if orcid.strip():
        found, why = normalise_orcid(orcid)
        if found is None:
            problems["orcid"] = [why]
        else:
            canonical = found
    if problems:
        raise ValidationFailed(fields=problems)
    user.full_name, user.orcid = name, canonical
    user.save(update_fields=["full_name", "orcid"])
    return user


def require_admin(*, user: User, facility: Facility) -> None:
    """Admins act; other members are refused (403); strangers learn nothing (404)."""
    if is_facility_admin(user=user, facility=facility):
        return
    if role_in(user=user, facility=facility) is None:
        raise NotFound("No such facility.")
    raise PermissionDenied("Only an administrator of this facility can do this.")


def record_audit(
    *,
    facility: Facility,
    actor: User | None,
    kind: str,
    summary: str,
    data: dict[str, Any] | None = None,
) -> FacilityAuditEvent:
    return FacilityAuditEvent.objects.create(
        facility=facility, actor=actor, kind=kind, summary=summary[:500], data=data or {}
    )


def _group_of(*, facility: Facility, group_id: int | None) -> ResearchGroup | None:
    if group_id is None:
        return None
    group = ResearchGroup.objects.filter(facility=facility, pk=group_id).first()
    if group is None:
        raise ValidationFailed(fields={"group": ["Choose a group of this facility."]})
    return group


def _role(role: str) -> str:
    if role not in Role.values:
        raise ValidationFailed(fields={"role": [f"Choose one of: {', '.join(Role.labels)}."]})
    return role


def invite(
    *, admin: User, facility: Facility, email: str, role: str, group_id: int | None = None
) -> FacilityInvitation:
    """E-mail an invitation. Inviting the same address again replaces the earlier invitation."""
    require_admin(user=admin, facility=facility)
    email = (email or "").strip()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed(fields={"email": ["Enter a valid e-mail address."]}) from None
    role = _role(role)
    group = _group_of(facility=facility, group_id=group_id)
    if Membership.objects.filter(facility=facility, user__email__iexact=email).exists():
        raise ValidationFailed(fields={"email": [f"{email} is already a member."]})
    with transaction.atomic():
        now = timezone.now()
        FacilityInvitation.objects.filter(
            facility=facility, email__iexact=email, accepted_at=None, revoked_at=None
        ).update(revoked_at=now)
        invitation = FacilityInvitation.objects.create(
            facility=facility,
            email=email,
            role=role,
            group=group,
            invited_by=admin,
            expires_at=now + timedelta(days=settings.FACILITY_INVITATION_DAYS),
        )
        record_audit(
            facility=facility,
            actor=admin,
            kind="member.invited",
            summary=f"Invited {email} as {Role(role).label}",
            data={"email": email, "role": role, "group": group.name if group else None},
        )
        dispatch.invitation_mail(invitation_id=invitation.pk)
    return invitation


def revoke_invitation(*, admin: User, invitation: FacilityInvitation) -> FacilityInvitation:
    require_admin(user=admin, facility=invitation.facility)
    with transaction.atomic():
        updated = FacilityInvitation.objects.filter(
            pk=invitation.pk, accepted_at=None, revoked_at=None
        ).update(revoked_at=timezone.now())
        if not updated:
            raise InvalidTransition("This invitation was already accepted or withdrawn.")
        record_audit(
            facility=invitation.facility,
            actor=admin,
            kind="invitation.revoked",
            summary=f"Withdrew the invitation of {invitation.email}",
        )
    invitation.refresh_from_db()
    return invitation


def _addresses_of(user: User) -> set[str]:
    verified = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    return {user.email.lower(), *(e.lower() for e in verified)}


def accept_invitation(*, user: User, token: str) -> Membership:
    """Join the facility. Only someone signed in with the invited address may accept."""
    with transaction.atomic():
        invitation = (
            FacilityInvitation.objects.select_for_update(of=("self",))
            .select_related("facility")
            .filter(token=token)
            .first()
        )
        if invitation is None or invitation.revoked_at is not None:
            raise NotFound("This invitation does not exist or was withdrawn.")
        if invitation.accepted_at is not None:
            raise InvalidTransition("This invitation has already been accepted.")
        if invitation.expires_at < timezone.now():
            raise InvalidTransition("This invitation has expired; ask for a new one.")
        if invitation.email.lower() not in _addresses_of(user):
            raise PermissionDenied(
                f"This invitation was sent to {invitation.email}. Sign in with that address."
            )
        membership, created = Membership.objects.get_or_create(
            user=user,
            facility=invitation.facility,
            defaults={"role": invitation.role, "group": invitation.group},
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        record_audit(
            facility=invitation.facility,
            actor=user,
            kind="member.joined",
            summary=f"{user.email} accepted the invitation"
            + ("" if created else " (was already a member; role unchanged)"),
            data={"role": membership.role},
        )
    return membership


def _other_admins(membership: Membership) -> bool:
    return (
        Membership.objects.filter(facility_id=membership.facility_id, role=Role.FACILITY_ADMIN)
        .exclude(pk=membership.pk)
        .exists()
    )


def change_member(
    *,
    admin: User,
    membership: Membership,
    role: str | None = None,
    group_id: int | None = None,
    set_group: bool = False,
) -> Membership:
    """Change a member's role and/or group (set_group=True with group_id=None clears it)."""
    facility = membership.facility
    require_admin(user=admin, facility=facility)
    with transaction.atomic():
        locked = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=membership.pk)
        )
        before = {"role": locked.role, "group": locked.group.name if locked.group else None}
        if role is not None:
            role = _role(role)
            if (
                locked.role == Role.FACILITY_ADMIN
                and role != Role.FACILITY_ADMIN
                and not _other_admins(locked)
            ):
                raise InvalidTransition("A facility needs at least one administrator.")
            locked.role = role
        if set_group:
            locked.group = _group_of(facility=facility, group_id=group_id)
        locked.save(update_fields=["role", "group"])
        after = {"role": locked.role, "group": locked.group.name if locked.group else None}
        if after != before:
            record_audit(
                facility=facility,
                actor=admin,
                kind="member.changed",
                summary=f"{locked.user.email}: {Role(locked.role).label}"
                + (f", {after['group']}" if after["group"] else ""),
                data={"member": locked.user.email, "before": before, "after": after},
            )
    return locked


def remove_member(*, admin: User, membership: Membership) -> None:
    facility = membership.facility
    require_admin(user=admin, facility=facility)
    with transaction.atomic():
        locked = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=membership.pk)
        )
        if locked.role == Role.FACILITY_ADMIN and not _other_admins(locked):
            raise InvalidTransition("A facility needs at least one administrator.")
        email = locked.user.email
        locked.delete()
        # Their drafts here freeze (lifecycle.services.frozen_reason); nothing is deleted.
        frozen = Submission.objects.filter(
            facility=facility,
            owner_id=locked.user_id,
            status__in=(SubmissionStatus.DRAFT, SubmissionStatus.CHANGES_REQUESTED),
        ).count()
        record_audit(
            facility=facility,
            actor=admin,
            kind="member.removed",
            summary=f"Removed {email}"
            + (f"; {frozen} draft{'s' if frozen != 1 else ''} frozen" if frozen else ""),
            data={"member": email, "role": locked.role, "frozen_drafts": frozen},
        )


def update_facility_settings(
    *, admin: User, facility: Facility, changes: dict[str, Any]
) -> Facility:
    """Change some of FACILITY_SETTINGS (each true or false); audited with before and after."""
    require_admin(user=admin, facility=facility)
    problems = {
        name: ["Not a setting of a facility."] for name in changes if name not in FACILITY_SETTINGS
    }
    problems |= {
        name: ["Must be true or false."]
        for name, value in changes.items()
        if name in FACILITY_SETTINGS and not isinstance(value, bool)
    }
    if problems:
        raise ValidationFailed(fields=problems)
    with transaction.atomic():
        locked = Facility.objects.select_for_update().get(pk=facility.pk)
        before = {name: getattr(locked, name) for name in changes}
        for name, value in changes.items():
            setattr(locked, name, value)
        altered = {name: value for name, value in changes.items() if before[name] != value}
        if altered:
            locked.save(update_fields=list(altered))
            record_audit(
                facility=locked,
                actor=admin,
                kind="facility.settings",
                summary="; ".join(
                    f"{FACILITY_SETTINGS[name].label}: {'yes' if value else 'no'}"
                    for name, value in altered.items()
                ),
                data={"before": {name: before[name] for name in altered}, "after": altered},
            )
    return locked
