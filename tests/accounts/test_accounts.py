"""Accounts: sign-up with e-mail verification, login, demo data, and role navigation."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client

from submissions.accounts.models import Membership, Role, User

pytestmark = pytest.mark.django_db


def test_signup_sends_a_verification_mail(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new.person@uni.example",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(email="new.person@uni.example").exists()
    assert len(mail.outbox) == 1
    assert "new.person@uni.example" in mail.outbox[0].to
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_seed_demo_is_idempotent_and_demo_login_works(client: Client) -> None:
    call_command("seed_demo")
    call_command("seed_demo")
    roles = dict(Membership.objects.values_list("user__email", "role"))
    assert roles == {
        "researcher@demo.aperture": Role.RESEARCHER,
        "curator@demo.aperture": Role.CURATOR,
        "admin@demo.aperture": Role.FACILITY_ADMIN,
    }
    response = client.post(
        "/accounts/login/", {"login": "curator@demo.aperture", "password": "aperture-demo"}
    )
    assert response.status_code == 302
    page = client.get("/")
    assert b"Review queue" in page.content
    assert b"Casimir Curator" in page.content


def test_researcher_navigation_has_no_review_link(client: Client, researcher: User) -> None:
    client.force_login(researcher)
    page = client.get("/")
    assert page.status_code == 200
    assert b"Review queue" not in page.content
    assert b"My submissions" in page.content


def test_anonymous_home_page_invites_sign_in(client: Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert b"Sign in" in page.content
    assert b'href="#main"' in page.content  # skip link for keyboard users
