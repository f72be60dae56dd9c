"""A person signs in with a demo account in a real browser and lands on their dashboard."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_researcher_signs_in_and_sees_their_dashboard(live_server, page) -> None:  # type: ignore[no-untyped-def]
    call_command("seed_demo")
    login(page, live_server.url, "researcher@demo.aperture", "aperture-demo")
    page.get_by_role("heading", name="My submissions").wait_for()
    assert "Demo Imaging Facility" in page.content()
    assert page.get_by_role("link", name="Review queue").count() == 0


def test_wrong_password_says_so_and_keeps_the_email(live_server, page) -> None:  # type: ignore[no-untyped-def]
    call_command("seed_demo")
    login(page, live_server.url, "researcher@demo.aperture", "not-the-password")
    page.get_by_text("not correct").wait_for()
    assert page.get_by_label("Email").input_value() == "researcher@demo.aperture"
