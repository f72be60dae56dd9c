"""In a real browser: submit, request changes on two fields, fix, resubmit, diff, approve.

The curator points at fields by picking them (never by typing a path); the researcher follows
each point to its field in the metadata editor; each step's e-mail is checked and its link
followed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail

from submissions.accounts.models import Role
from submissions.lifecycle.models import SubmissionStatus
from tests import factories
from tests.browser import ARTIFACTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


def link_in(message: mail.EmailMessage) -> str:
    found = re.search(r"https?://\S+/submissions/\S+/review/", message.body)
    assert found, message.body
    return found.group(0)


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(Path(ARTIFACTS) / f"review-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_change_request_round_trip_in_the_browser(live_server, page, browser, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = live_server.url
    facility = factories.FacilityFactory(name="Light Microscopy Facility")
    researcher = factories.member(facility=facility, role=Role.RESEARCHER)
    curator = factories.member(facility=facility, role=Role.CURATOR)
    submission = factories.CompleteSubmissionFactory(
        owner=researcher, facility=facility, title="Mitochondrial fission in HeLa cells"
    )
    review_url = f"{live_server.url}/submissions/{submission.pk}/review/"

    # The researcher submits.
    login(page, live_server.url, researcher.email, PASSWORD)
    page.get_by_role("heading", name="My submissions").wait_for()
    page.goto(review_url)
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Submitted. The curators are told by e-mail.").wait_for()
    (to_curator,) = mail.outbox
    assert to_curator.to == [curator.email]
    assert link_in(to_curator) == review_url

    # The curator finds it in the queue, claims it and asks for two changes.
    curator_context = browser.new_context(viewport={"width": 1280, "height": 900})
    desk = curator_context.new_page()
    login(desk, live_server.url, curator.email, PASSWORD)
    desk.get_by_role("link", name="Review queue").click()
    desk.get_by_role("heading", name=re.compile("Review queue")).wait_for()
    shot(desk, "queue")
    desk.get_by_role("link", name="Mitochondrial fission in HeLa cells").click()
    desk.get_by_role("button", name="Claim this review").click()
    desk.get_by_text("You are reviewing this submission.").wait_for()
    desk.locator("summary", has_text="Request changes").click()
    desk.get_by_label("Message to the researcher").fill("Two fields need work before we publish.")
    # "Request a change" beside the ORCID iD starts a point about it; the licence is picked.
    orcid_row = desk.locator("#field-study-authors-0-orcid")
    orcid_row.get_by_role("link", name="Request a change").click()
    assert desk.locator("#id_points-0-field").input_value() == "study.authors.0.orcid"
    assert desk.evaluate("document.activeElement.id") == "id_points-0-message"
    desk.locator("#id_points-0-message").fill("Add Maurice Wilkins's ORCID iD.")
    desk.locator("#id_points-1-field").select_option(label="Licence")
    desk.locator("#id_points-1-message").fill("Choose CC-BY-4.0 or CC0-1.0.")
    shot(desk, "request-changes")
    desk.get_by_role("button", name="Send change request").click()
    desk.get_by_text("Changes requested. The researcher is told by e-mail.").wait_for()
    to_researcher = mail.outbox[-1]
    assert to_researcher.subject.startswith("Changes requested")
    assert "ORCID iD: Add Maurice Wilkins's ORCID iD." in to_researcher.body
    assert "study." not in to_researcher.body

    # The researcher follows the mail's link, sees the points, fixes them in the editor.
    page.goto(link_in(to_researcher))
    page.get_by_role("heading", name="Changes requested").wait_for()
    orcid_row = page.locator("#field-study-authors-0-orcid")
    assert "Add Maurice Wilkins's ORCID iD." in orcid_row.inner_text()
    shot(page, "researcher-changes-requested")
    page.locator("#answer").get_by_role("link", name=re.compile("ORCID iD")).click()
    page.wait_for_url(re.compile(r"/edit/#f-study-authors-0-orcid$"))
    page.locator("#f-study-authors-0-orcid").fill("0000-0001-5109-3700")
    page.locator("#f-study-licence").select_option(label="CC0 1.0")
    page.get_by_text("All changes saved").wait_for()
    page.goto(review_url)
    page.get_by_role("button", name="Resubmit for review").click()
    page.get_by_text("Submitted. The curators are told by e-mail.").wait_for()
    resubmitted = mail.outbox[-1]
    assert resubmitted.to == [curator.email]
    assert resubmitted.subject.startswith("Waiting for review")

    # The curator sees what changed and approves.
    desk.goto(link_in(resubmitted))
    diff = desk.locator("#diff")
    diff.wait_for()
    text = diff.inner_text()
    assert "ORCID iD" in text
    assert "0000-0001-5109-3700" in text
    assert "Study \u203a Licence" in text
    assert "CC0 1.0" in text
    assert "study." not in text
    assert "Files: no change." in text
    shot(desk, "diff")
    desk.locator("summary", has_text="Approve").click()
    desk.get_by_label("Note to the researcher (optional)").fill("Thank you, all good now.")
    desk.get_by_role("button", name="Approve", exact=True).click()
    desk.get_by_text("Approved. The researcher is told by e-mail.").wait_for()
    curator_context.close()

    # Approval starts processing at once (tasks run eagerly here); its mail is not this flow's.
    decisions = [m for m in mail.outbox if not m.subject.startswith(("Processing", "Published"))]
    approved = decisions[-1]
    assert approved.to == [researcher.email]
    assert "Thank you, all good now." in approved.body
    assert [m.subject.split(":")[0] for m in decisions] == [
        "Waiting for review",
        "Changes requested",
        "Waiting for review",
        "Approved",
    ]
    # Approved, then processing took over (its outcome is the processing tests' business).
    assert submission.events.filter(to_status=SubmissionStatus.APPROVED).count() == 1
    shot(page, "researcher-approved")
