"""Demo accounts for `make run`: a researcher, a curator and a facility admin."""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand
from django.db import transaction

from submissions.accounts.models import Facility, Membership, ResearchGroup, Role, User

DEMO_PASSWORD = "aperture-demo"  # noqa: S105 - demo accounts on a developer's machine only
DEMO_ACCOUNTS = [
    ("researcher@demo.aperture", "Rosalind Researcher", Role.RESEARCHER),
    ("curator@demo.aperture", "Casimir Curator", Role.CURATOR),
    ("admin@demo.aperture", "Ada Admin", Role.FACILITY_ADMIN),
]


class Command(BaseCommand):
    help = "Create the demo facility and its three demo accounts (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        site_domain = settings.SITE_URL.split("://", 1)[-1]
        Site.objects.update_or_create(
            pk=settings.SITE_ID, defaults={"domain": site_domain, "name": "Aperture"}
        )
        facility, _ = Facility.objects.get_or_create(
            slug="demo", defaults={"name": "Demo Imaging Facility"}
        )
        group, _ = ResearchGroup.objects.get_or_create(facility=facility, name="Demo Lab")
        for email, name, role in DEMO_ACCOUNTS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=name)
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            Membership.objects.update_or_create(
                user=user,
                facility=facility,
                defaults={"role": role, "group": group if role == Role.RESEARCHER else None},
            )
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for email, _name, role in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role.label:<15} {email}")
