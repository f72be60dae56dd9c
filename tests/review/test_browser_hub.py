"""In a real browser: the researcher lands on the submission page with an open change request,
follows a point to its field in the editor, and finds the dashboard saying what to do next."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from submissions.accounts.models import Role
from submissions.review import services as review
from submissions.review.services import ChangePoint
from tests import factories
from tests.browser import ARTIFACTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(Path(ARTIFACTS) / f"ux-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_researcher_goes_from_the_hub_to_the_field_to_fix(live_server, page, browser) -> None:  # type: ignore[no-untyped-def]
    facility = factories.FacilityFactory(name="Light Microscopy Facility")
    researcher = factories.member(facility=facility, role=Role.RESEARCHER)
    curator = factories.member(facility=facility, role=Role.CURATOR)
    submission = factories.CompleteSubmissionFactory(
        owner=researcher, facility=facility, title="Mitochondrial fission in HeLa cells"
    )
    review.submit(submission=submission, user=researcher)
    review.request_changes(
        submission=submission,
        curator=curator,
        message="Two fields need work before we publish.",
        points=[
            ChangePoint(field_path="study.authors.0.orcid", message="Add the ORCID iD."),
            ChangePoint(field_path="title", message="Name the cell line in the title."),
        ],
    )

    login(page, live_server.url, researcher.email, PASSWORD)
    next_step = page.get_by_role("link", name="Changes requested — 2 points")
    next_step.wait_for()
    shot(page, "dashboard")
    page.get_by_role("link", name="Mitochondrial fission in HeLa cells").click()

    panel = page.locator("#changes-requested")
    panel.wait_for()
    assert "Changes requested — 2 points" in panel.inner_text()
    # The panel is the first thing under the title, above the page's buttons.
    panel_box = panel.bounding_box()
    actions_box = page.get_by_role("group", name="Actions").bounding_box()
    assert panel_box["y"] < actions_box["y"]
    assert page.get_by_role("link", name="Review & comments").is_visible()
    shot(page, "hub")

    panel.get_by_role("link", name=re.compile("ORCID iD")).click()
    page.wait_for_url(re.compile(r"/edit/#f-study-authors-0-orcid$"))
    orcid = page.locator("#f-study-authors-0-orcid")
    assert orcid.is_visible()
    field = page.locator(".field", has=orcid)
    assert "Curator asks: Add the ORCID iD." in field.inner_text()
    shot(page, "editor")

    # The curator's view of the same page: a way into the review, nothing to fix.
    desk_context = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = desk_context.new_page()
    login(desk, live_server.url, curator.email, PASSWORD)
    desk.goto(f"{live_server.url}/submissions/{submission.pk}/")
    desk.locator("#changes-requested").wait_for()
    assert desk.get_by_role("link", name="Fix in the editor").count() == 0
    shot(desk, "hub-curator")
    desk.get_by_role("link", name="Review this submission").click()
    desk.get_by_role("heading", name="Changes requested").wait_for()
    desk_context.close()
