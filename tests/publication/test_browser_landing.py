"""In a real browser: a curator releases an embargoed dataset early from its landing page, and
the released page then shows its DOI state, organisms, imaging methods and machine-readable
links. Screenshots go to test-results/."""

from __future__ import annotations

import pytest

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.publication.models import Publication
from tests.browser import ARTIFACTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"publication-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_a_curator_releases_early_from_the_landing_page(
    embargoed: Submission, curator: User, live_server, page
) -> None:
    errors: list[str] = []  # script errors; not the refused form's 400, which is on purpose
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, live_server.url, curator.email, "correct horse battery")
    page.goto(f"{live_server.url}/datasets/{embargoed.accession}/")
    page.get_by_text("Under embargo until").wait_for()
    shot(page, "embargoed-curator")
    page.get_by_role("button", name="Release now").click()
    # Without a reason, nothing happens and the field says why.
    page.get_by_text("This field is required.").first.wait_for()
    form = page.locator("form", has=page.get_by_role("button", name="Release now"))
    form.get_by_label("Reason").fill("The paper is published.")
    form.get_by_role("button", name="Release now").click()
    page.get_by_text("Released: the dataset is public now.").wait_for()
    assert Publication.objects.get(submission=embargoed).released_at is not None
    assert page.get_by_role("link", name="RO-Crate").is_visible()
    assert page.get_by_role("link", name="Homo sapiens").is_visible()
    shot(page, "released")
    assert not errors, errors
