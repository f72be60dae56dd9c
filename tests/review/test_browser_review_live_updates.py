"""In a real browser, with the review page open while review copies are being made: when the
last one is ready, the note that copies are still being made goes without a reload and the
Approve form (with the note being typed) stays; when one fails because of its file, the
reason replaces Approve inside the approval area's polite live region, which stays in place
(so screen readers announce it), takes the keyboard along, and is not replaced again by the
polls that follow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from submissions.lifecycle.models import Submission
from submissions.processing.models import ConversionJob, JobState
from tests import factories
from tests.browser import ARTIFACTS, login
from tests.review.test_browser_approval_blocks import PASSWORD, submitted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NOTE = "Some review copies are still being made"


def converting(submission: Submission, data_file: Any) -> ConversionJob:
    return ConversionJob.objects.create(  # type: ignore[no-any-return]
        submission=submission,
        data_file=data_file,
        due_at=dt.datetime.now(dt.UTC),
        state=JobState.RUNNING,
        progress=0.5,
        stage="converting",
    )


def open_approve(page: Any, live_server: Any, submission: Submission) -> Any:
    page.goto(f"{live_server.url}/submissions/{submission.pk}/review/")
    section = page.locator("#decide")
    section.locator("summary", has_text="Approve").click()
    return section


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#decide").screenshot(path=str(ARTIFACTS / f"review-live-{name}.png"))


def test_the_note_goes_when_the_last_copy_is_ready_and_the_typed_note_stays(
    live_server: Any, page: Any, researcher: Any, curator: Any
) -> None:
    submission = submitted(researcher)
    job = converting(submission, submission.files.get())
    login(page, live_server.url, curator.email, PASSWORD)
    section = open_approve(page, live_server, submission)
    assert NOTE in section.inner_text()
    page.get_by_label("Note to the researcher (optional)").fill("Lovely data.")
    shot(page, "converting")

    ConversionJob.objects.filter(pk=job.pk).update(state=JobState.SUCCEEDED, progress=1.0)

    # The conversion list's next poll (every 3 s); no reload.
    page.locator("#approve-converting").wait_for(state="hidden", timeout=15_000)
    page.locator("#image-" + str(job.data_file_id), has_text="Ready to view").wait_for()
    assert NOTE not in section.inner_text()
    assert page.get_by_label("Note to the researcher (optional)").input_value() == "Lovely data."
    assert section.get_by_role("button", name="Approve").is_visible()
    shot(page, "ready")


def test_a_failure_is_announced_in_the_live_region_once_and_keeps_the_keyboard(
    live_server: Any, page: Any, researcher: Any, curator: Any
) -> None:
    submission = submitted(researcher)
    failing = converting(submission, submission.files.get())
    # A second image still converting keeps the list polling after the failure.
    other = factories.DataFileFactory(submission=submission, name="z_stack.ome.tif")
    other.status, other.inspection = "inspected", submission.files.first().inspection
    other.save()
    converting(submission, other)
    login(page, live_server.url, curator.email, PASSWORD)
    section = open_approve(page, live_server, submission)
    area = page.locator("#approve-area")
    assert area.get_attribute("aria-live") == "polite"
    # Mark the region and count what changes in it, to tell a swap of its content (what a
    # screen reader announces) from the region itself being replaced (not announced).
    page.evaluate(
        """() => {
          const area = document.getElementById("approve-area");
          area.dataset.original = "yes";
          window.approveChanges = 0;
          new MutationObserver(() => { window.approveChanges += 1; })
            .observe(area, {childList: true, subtree: true, characterData: true});
        }"""
    )
    page.get_by_label("Note to the researcher (optional)").focus()

    ConversionJob.objects.filter(pk=failing.pk).update(
        state=JobState.FAILED, error_kind="user", error_message="Not a TIFF it can read."
    )

    heading = section.get_by_role("heading", name="Approval is not possible yet")
    heading.wait_for(timeout=15_000)
    assert page.evaluate("() => document.getElementById('approve-area').dataset.original") == (
        "yes"
    )
    assert area.get_attribute("aria-live") == "polite"
    assert "could not be converted" in area.inner_text()
    assert page.get_by_role("button", name="Approve").count() == 0
    # The keyboard was in the note: it is now on the reason, not at the top of the page.
    assert page.evaluate("() => document.activeElement.id") == "approve-blocked-heading"
    shot(page, "failed")

    # Later polls (the other image is still converting) leave the region alone: nothing is
    # announced twice.
    changes = page.evaluate("() => window.approveChanges")
    assert changes > 0
    with page.expect_response(lambda r: "/review/images/" in r.url, timeout=10_000):
        pass
    with page.expect_response(lambda r: "/review/images/" in r.url, timeout=10_000):
        pass
    page.wait_for_timeout(300)  # let htmx swap what the second poll brought
    assert page.evaluate("() => window.approveChanges") == changes
    assert page.evaluate("() => document.activeElement.id") == "approve-blocked-heading"
