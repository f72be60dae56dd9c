"""A person's own account details: the name shown to curators and the ORCID iD offered when
they describe a dataset."""

from __future__ import annotations

from submissions.models import User
from submissions.services.exceptions import ValidationFailed
from submissions.services.rembi.vocab import normalise_orcid

NAME_MAX = 200


def update_profile(*, user: User, full_name: str, orcid: str) -> User:
    """Save the name and ORCID iD (checksum-validated, stored canonically); all or nothing."""
    name = " ".join(full_name.split())
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
