"""The review page offers Approve only when the approve service would accept it; otherwise it
says why, naming the files, and what the curator can do. The service refuses the same cases
(the page and the service read one rule: review.readiness.approval_blocks)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.models import ConversionJob, JobState
from submissions.review import services as review
from submissions.review.readiness import approval_blocks
from tests import factories
from tests.conftest import client_for
from tests.review.conftest import html_client
from tests.review.test_review_page import page_of, visible_text

REMEDY = (
    "Request changes so the researcher replaces or removes it; they have been told what is wrong."
)
pytestmark = pytest.mark.django_db
S = SubmissionStatus
APPROVE_BUTTON = '<button type="submit" class="primary">Approve</button>'


def fail_review_copy(submission: Submission, *, user_fault: bool = True) -> str:
    """The first file's review copy failed (because of the file, unless `user_fault` is
    False); returns the file's name."""
    data_file = submission.files.order_by("name").first()
    assert data_file is not None
    ConversionJob.objects.create(
        submission=submission,
        data_file=data_file,
        due_at=dt.datetime.now(dt.UTC),
        state=JobState.FAILED,
        error_kind="user" if user_fault else "app",
        error_message="The header is cut short.",
    )
    return data_file.name


def test_a_ready_submission_offers_approve(submitted: Submission, curator: User) -> None:
    html = page_of(html_client(curator), submitted)
    assert APPROVE_BUTTON in html
    assert f"/submissions/{submitted.pk}/review/approve/" in html
    assert "Approval is not possible yet" not in html
    assert approval_blocks(submission=submitted, curator=curator) == []


def test_a_failed_image_hides_approve_and_says_why_and_what_to_do(
    submitted: Submission, curator: User
) -> None:
    name = fail_review_copy(submitted)
    html = page_of(html_client(curator), submitted)
    text = " ".join(visible_text(html).split())

    assert APPROVE_BUTTON not in html
    assert f"/submissions/{submitted.pk}/review/approve/" not in html
    assert "Approval is not possible yet" in text
    assert f"{name} could not be converted, so the dataset cannot be published as it is." in text
    assert REMEDY in text
    assert 'href="#request-changes"' in html
    # The other decisions stay.
    assert "Send change request" in html
    assert f"/submissions/{submitted.pk}/review/reject/" in html


def test_the_service_still_refuses_a_failed_image_through_the_api_with_the_pages_words(
    submitted: Submission, curator: User
) -> None:
    name = fail_review_copy(submitted)
    (block,) = approval_blocks(submission=submitted, curator=curator)
    answer = client_for(curator).post(f"/api/v1/review/submissions/{submitted.pk}/approve/")
    assert answer.status_code == 409
    assert answer.json()["code"] == "conversion_failed"
    assert answer.json()["message"] == block.message
    assert name in answer.json()["message"]
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED
    # A page posted from an old tab meets the same refusal, said in words.
    page = html_client(curator).post(  # type: ignore[attr-defined]
        f"/submissions/{submitted.pk}/review/approve/", {"note": ""}, follow=True
    )
    assert block.message in " ".join(visible_text(page.content.decode()).split())


def test_a_failure_on_our_side_does_not_block_approval(
    submitted: Submission, curator: User
) -> None:
    # Approval queues such a review copy again (processing.services.start_processing).
    fail_review_copy(submitted, user_fault=False)
    assert APPROVE_BUTTON in page_of(html_client(curator), submitted)
    review.approve(submission=submitted, curator=curator)
    submitted.refresh_from_db()
    assert submitted.status == S.APPROVED


def test_a_full_archive_hides_approve_and_names_the_limit(
    submitted: Submission, curator: User
) -> None:
    factories.quota(facility=submitted.facility, hard=1, area="archive")
    html = page_of(html_client(curator), submitted)
    text = " ".join(visible_text(html).split())
    assert APPROVE_BUTTON not in html
    assert "Approval is not possible yet" in text
    assert f"the archive quota of {submitted.facility.name} has" in text
    assert "A facility administrator can raise the limit" in text

    # Once raised, Approve is back.
    factories.quota(facility=submitted.facility, hard=None, area="archive")
    assert APPROVE_BUTTON in page_of(html_client(curator), submitted)


def test_a_review_copy_still_being_made_does_not_block_and_the_page_says_so(
    submitted: Submission, curator: User
) -> None:
    data_file = submitted.files.get()
    ConversionJob.objects.create(
        submission=submitted,
        data_file=data_file,
        due_at=dt.datetime.now(dt.UTC),
        state=JobState.RUNNING,
        progress=0.4,
        stage="converting",
    )
    html = page_of(html_client(curator), submitted)
    assert APPROVE_BUTTON in html
    assert "Some review copies are still being made. Approving now is possible" in (
        " ".join(visible_text(html).split())
    )
    assert approval_blocks(submission=submitted, curator=curator) == []
    # Without one being made, the note is gone.
    ConversionJob.objects.filter(submission=submitted).update(state=JobState.SUCCEEDED)
    assert "Some review copies are still being made" not in page_of(html_client(curator), submitted)


def test_a_copy_failing_while_the_page_is_open_takes_approve_away_with_the_next_poll(
    submitted: Submission, curator: User, researcher: User
) -> None:
    data_file = submitted.files.get()
    job = ConversionJob.objects.create(
        submission=submitted,
        data_file=data_file,
        due_at=dt.datetime.now(dt.UTC),
        state=JobState.RUNNING,
    )
    url = f"/submissions/{submitted.pk}/review/images/"
    poll = html_client(curator).get(url, HTTP_HX_REQUEST="true").content.decode()  # type: ignore[attr-defined]
    assert "approve-area" not in poll  # nothing blocks: the form is left alone

    ConversionJob.objects.filter(pk=job.pk).update(state=JobState.FAILED, error_kind="user")
    poll = html_client(curator).get(url, HTTP_HX_REQUEST="true").content.decode()  # type: ignore[attr-defined]
    # Only the content of the page's live region is swapped, so the change is announced.
    assert '<div id="approve-area" aria-live="polite" hx-swap-oob="innerHTML">' in poll
    assert f"{data_file.name} could not be converted" in poll
    assert APPROVE_BUTTON not in poll
    # The researcher's poll carries no decision.
    theirs = html_client(researcher).get(url, HTTP_HX_REQUEST="true").content.decode()  # type: ignore[attr-defined]
    assert "approve-area" not in theirs


def poll_of(client: object, submission: Submission, approval: str = "") -> str:
    url = f"/submissions/{submission.pk}/review/images/?shown=0&approval={approval}"
    return client.get(url, HTTP_HX_REQUEST="true").content.decode()  # type: ignore[attr-defined,no-any-return]


def next_approval(html: str) -> str:
    """The approval state the next poll of this list carries ("" for the Approve form)."""
    found = re.search(r'hx-get="[^"]*approval=([0-9a-f]*)"', html)
    assert found is not None, "the list is not polled"
    return found.group(1)


def test_the_poll_sends_the_blocked_area_once_then_leaves_it_alone(
    submitted: Submission, curator: User
) -> None:
    data_file = submitted.files.get()
    other = factories.DataFileFactory(submission=submitted, status="inspected", name="z.tif")
    now = dt.datetime.now(dt.UTC)
    ConversionJob.objects.create(
        submission=submitted,
        data_file=data_file,
        due_at=now,
        state=JobState.FAILED,
        error_kind="user",
    )
    ConversionJob.objects.create(
        submission=submitted, data_file=other, due_at=now, state=JobState.RUNNING
    )
    client = html_client(curator)
    # The page already shows why: its polls do not send the area again (nor re-announce it).
    page = page_of(client, submitted)
    assert "Approval is not possible yet" in page
    assert next_approval(page) != ""
    assert "approve-area" not in poll_of(client, submitted, next_approval(page))
    # A page that showed the Approve form gets the reason once, then nothing more.
    first = poll_of(client, submitted)
    assert 'id="approve-area"' in first
    assert "approve-area" not in poll_of(client, submitted, next_approval(first))


def test_the_last_poll_hides_the_note_about_copies_being_made(
    submitted: Submission, curator: User, researcher: User
) -> None:
    job = ConversionJob.objects.create(
        submission=submitted,
        data_file=submitted.files.get(),
        due_at=dt.datetime.now(dt.UTC),
        state=JobState.RUNNING,
    )
    client = html_client(curator)
    assert "approve-converting" not in poll_of(client, submitted)  # still being made

    ConversionJob.objects.filter(pk=job.pk).update(state=JobState.SUCCEEDED)
    last = poll_of(client, submitted)
    assert '<p class="help" id="approve-converting" hx-swap-oob="true" hidden></p>' in last
    assert "approve-area" not in last  # the form, and a note typed in it, are left alone
    assert "hx-get" not in last  # and polling stops
    assert "approve-converting" not in poll_of(html_client(researcher), submitted)
