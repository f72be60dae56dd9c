"""In a real browser: the curator of a submission whose image could not be converted finds no
Approve button, reads why and what to do, and the link to request changes opens that form
with the keyboard in it; a submission that can be approved offers Approve as before."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.models import ConversionJob, JobState
from tests import factories
from tests.browser import ARTIFACTS, login

REMEDY = (
    "Request changes so the researcher replaces or removes it; they have been told what is wrong."
)
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


def submitted(researcher: Any) -> Submission:
    """Waiting for review (the status set directly: no review copy is made here)."""
    facility = researcher.memberships.get().facility
    submission = factories.CompleteSubmissionFactory(owner=researcher, facility=facility)
    now = dt.datetime.now(dt.UTC)
    Submission.objects.filter(pk=submission.pk).update(
        status=SubmissionStatus.SUBMITTED, submitted_at=now, status_changed_at=now
    )
    submission.refresh_from_db()
    return submission


def decide_section(page: Any, live_server: Any, submission: Submission, name: str) -> Any:
    page.goto(f"{live_server.url}/submissions/{submission.pk}/review/")
    section = page.locator("#decide")
    ARTIFACTS.mkdir(exist_ok=True)
    section.screenshot(path=str(ARTIFACTS / f"review-{name}.png"))
    return section


def test_approve_is_offered_only_when_it_would_go_through(
    live_server: Any, page: Any, researcher: Any, curator: Any
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    ready = submitted(researcher)
    blocked = submitted(researcher)
    data_file = blocked.files.get()
    ConversionJob.objects.create(
        submission=blocked,
        data_file=data_file,
        due_at=dt.datetime.now(dt.UTC),
        state=JobState.FAILED,
        error_kind="user",
        error_message="This file is not a TIFF the converter can read.",
    )
    login(page, live_server.url, curator.email, PASSWORD)

    section = decide_section(page, live_server, blocked, "approve-blocked")
    assert page.get_by_role("button", name="Approve").count() == 0
    assert section.locator("summary", has_text="Approve").count() == 0
    notice = section.locator("#approve-blocked")
    assert notice.get_by_role("heading", name="Approval is not possible yet").is_visible()
    assert f"{data_file.name} could not be converted" in notice.inner_text()
    assert REMEDY in notice.inner_text()
    notice.get_by_role("link", name="request changes").click()
    assert page.locator("#request-changes").get_attribute("open") is not None
    assert page.evaluate("() => document.activeElement.name") == "message"

    section = decide_section(page, live_server, ready, "approve-allowed")
    assert section.locator("#approve-blocked").count() == 0
    section.locator("summary", has_text="Approve").click()  # opens the form
    section.get_by_role("button", name="Approve").click()
    page.get_by_text("Approved").first.wait_for()
    # Approved (processing then starts at once, eagerly, and has no bytes to convert here).
    assert ready.events.filter(to_status=SubmissionStatus.APPROVED).exists()


def test_a_copy_failing_while_the_curator_reads_takes_approve_away(
    live_server: Any, page: Any, researcher: Any, curator: Any
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    submission = submitted(researcher)
    data_file = submission.files.get()
    job = ConversionJob.objects.create(
        submission=submission,
        data_file=data_file,
        due_at=dt.datetime.now(dt.UTC),
        state=JobState.RUNNING,
        progress=0.5,
        stage="converting",
    )
    login(page, live_server.url, curator.email, PASSWORD)
    page.goto(f"{live_server.url}/submissions/{submission.pk}/review/")
    section = page.locator("#decide")
    section.locator("summary", has_text="Approve").click()
    assert "Some review copies are still being made" in section.inner_text()

    ConversionJob.objects.filter(pk=job.pk).update(
        state=JobState.FAILED, error_kind="user", error_message="Not a TIFF it can read."
    )
    # The conversion list's next poll (every 3 s) brings the reason; no reload.
    section.get_by_role("heading", name="Approval is not possible yet").wait_for(timeout=15_000)
    assert page.get_by_role("button", name="Approve").count() == 0
    assert f"{data_file.name} could not be converted" in section.inner_text()
    section.get_by_role("link", name="request changes").click()
    assert page.evaluate("() => document.activeElement.name") == "message"
