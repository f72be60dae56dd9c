"""Who may do what. Services call these before acting; selectors use the same rules to filter."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db.models import Q

from submissions.accounts.models import Facility, Membership, Role, User
from submissions.lifecycle.models import Submission
from submissions.rembi.services.vocab import normalise_orcid

CURATING_ROLES = (Role.CURATOR, Role.FACILITY_ADMIN)


def role_in(*, user: User, facility: Facility | int) -> str | None:
    if not user.is_authenticated:
        return None
    facility_id = facility if isinstance(facility, int) else facility.pk
    membership = Membership.objects.filter(user=user, facility_id=facility_id).first()
    return membership.role if membership else None


def is_curator(*, user: User, facility: Facility | int) -> bool:
    return user.is_superuser or role_in(user=user, facility=facility) in CURATING_ROLES


def is_facility_admin(*, user: User, facility: Facility | int) -> bool:
    return user.is_superuser or role_in(user=user, facility=facility) == Role.FACILITY_ADMIN


def visibility_filter(*, user: User) -> Q:
    """The submissions a user may see: their own, their group's, their facility's if curating."""
    if user.is_superuser:
        return Q()
    memberships = Membership.objects.filter(user=user)
    curated = memberships.filter(role__in=CURATING_ROLES).values("facility_id")
    groups = memberships.exclude(group=None).values("group_id")
    return Q(owner=user) | Q(group_id__in=groups) | Q(facility_id__in=curated)


def can_edit(*, user: User, submission: Submission) -> bool:
    return submission.owner_id == user.pk


def can_curate(*, user: User, submission: Submission) -> bool:
    return is_curator(user=user, facility=submission.facility_id)


def _addresses_of(user: User) -> set[str]:
    """The person's sign-in address and every address they verified, lower case."""
    verified = EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    return {user.email.lower(), *(address.lower() for address in verified)}


def is_own_work(*, user: User, submission: Submission) -> bool:
    """Whether `user` owns `submission` or is one of its REMBI authors (`study.authors`),
    matched by any of their verified e-mail addresses or by their ORCID iD."""
    if submission.owner_id == user.pk:
        return True
    metadata = submission.metadata if isinstance(submission.metadata, dict) else {}
    study = metadata.get("study")
    authors = study.get("authors") if isinstance(study, dict) else None
    if not isinstance(authors, list):
        return False
    addresses = _addresses_of(user)
    orcid, _ = normalise_orcid(user.orcid) if user.orcid else (None, "")
    for author in authors:
        if not isinstance(author, dict):
            continue
        email = str(author.get("email") or "").strip().lower()
        if email and email in addresses:
            return True
        if orcid and author.get("orcid") and normalise_orcid(str(author["orcid"]))[0] == orcid:
            return True
    return False
