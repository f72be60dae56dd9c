"""A facility's publication settings: its ROR id (the publisher of its datasets in schema.org,
the RO-Crate and DataCite) and whether embargoed datasets show their titles (default off).
Facility admins change them; each change is in the facility's audit trail."""

from __future__ import annotations

from django.db import transaction

from submissions.accounts import services as accounts
from submissions.accounts.models import Facility, User
from submissions.core.errors import ValidationFailed
from submissions.rembi.services import vocab


def update_settings(
    *,
    admin: User,
    facility: Facility,
    ror: str | None = None,
    show_embargoed_titles: bool | None = None,
) -> Facility:
    accounts.require_admin(user=admin, facility=facility)
    before = {"ror": facility.ror, "show_embargoed_titles": facility.show_embargoed_titles}
    with transaction.atomic():
        locked = Facility.objects.select_for_update().get(pk=facility.pk)
        if ror is not None:
            normalised = vocab.normalise_ror(ror) if ror.strip() else ""
            if normalised is None:
                raise ValidationFailed(
                    "Not a ROR id.",
                    fields={"ror": ["A ROR id looks like https://ror.org/02catss52."]},
                )
            locked.ror = normalised
        if show_embargoed_titles is not None:
            locked.show_embargoed_titles = show_embargoed_titles
        locked.save(update_fields=["ror", "show_embargoed_titles"])
        after = {"ror": locked.ror, "show_embargoed_titles": locked.show_embargoed_titles}
        if after != before:
            accounts.record_audit(
                facility=locked,
                actor=admin,
                kind="publication_settings",
                summary="Changed the publication settings.",
                data={"before": before, "after": after},
            )
    return locked
