"""A person keeps their own name and ORCID iD, sees the errors at the field with what they
typed kept, and finds every other account page from one place."""

from __future__ import annotations

import pytest
from django.test import Client

from submissions.accounts.models import User
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_name_and_orcid_are_saved_canonically(researcher: User) -> None:
    browser = signed_in(researcher)
    page = browser.get("/account/").content.decode()
    for link in ("/account/usage/", "/account/notifications/", "/account/api-token/"):
        assert f'href="{link}"' in page
    saved = browser.post(
        "/account/",
        {"full_name": "  Rosalind   Franklin ", "orcid": "https://orcid.org/0000000218250097"},
        follow=True,
    )
    assert "Your details were saved." in saved.content.decode()
    researcher.refresh_from_db()
    assert researcher.full_name == "Rosalind Franklin"
    assert researcher.orcid == "0000-0002-1825-0097"
    assert 'href="/account/"' in saved.content.decode()  # the header names them, linking here


def test_a_wrong_check_digit_is_refused_at_the_field_and_nothing_is_lost(
    researcher: User,
) -> None:
    before = researcher.full_name
    refused = signed_in(researcher).post(
        "/account/", {"full_name": "New Name", "orcid": "0000-0002-1825-0098"}
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "check digit does not match" in html
    assert 'value="0000-0002-1825-0098"' in html  # what they typed stays in the box
    assert 'value="New Name"' in html
    researcher.refresh_from_db()
    assert researcher.full_name == before  # all or nothing


def test_an_oversized_name_is_refused_and_the_page_needs_a_login(researcher: User) -> None:
    refused = signed_in(researcher).post("/account/", {"full_name": "x" * 250, "orcid": ""})
    assert refused.status_code == 400
    assert "At most 200 characters" in refused.content.decode()
    assert Client().get("/account/").status_code == 302
