"""The submission page as the hub: links to the review, processing and landing pages by role
and state, and the open change request on top with links to the fields it names."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.utils import timezone

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.models import ConversionJob, JobState
from submissions.review import services as review
from submissions.review.services import ChangePoint
from tests import factories
from tests.review.conftest import html_client

pytestmark = pytest.mark.django_db
S = SubmissionStatus
ORCID_LABEL = " \u203a ".join(["Study", "Author 1", "ORCID iD"])  # the editor's label


def hub(user: User, submission: Submission) -> str:
    response = html_client(user).get(f"/submissions/{submission.pk}/")  # type: ignore[attr-defined]
    assert response.status_code == 200
    return response.content.decode()  # type: ignore[no-any-return]


def links(html: str) -> dict[str, str]:
    """Link text -> href of every <a> on the page (text with its whitespace collapsed)."""
    found = re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', html, re.S)
    return {
        " ".join(unescape(re.sub(r"<[^>]+>", "", text)).split()): unescape(href)
        for href, text in found
    }


def ask_for_changes(submission: Submission, curator: User) -> None:
    file = submission.files.get()
    review.request_changes(
        submission=submission,
        curator=curator,
        message="Two things before we publish.",
        points=[
            ChangePoint(field_path="study.authors.0.orcid", message="Add the ORCID iD"),
            ChangePoint(field_path="title", message="Name the cell line"),
            ChangePoint(file_id=str(file.pk), message="This stack is cropped"),
        ],
    )


def test_researcher_sees_the_open_change_request_on_top_with_links_to_the_fields(
    submitted: Submission, curator: User, researcher: User
) -> None:
    ask_for_changes(submitted, curator)
    html = hub(researcher, submitted)
    panel = html[html.index('id="changes-requested"') : html.index('aria-label="Actions"')]
    assert "Changes requested — 3 points" in panel
    assert "Two things before we publish." in panel
    assert "Name the cell line" in panel
    assert "File <strong>cells_t0.ome.tif</strong>: This stack is cropped" in panel
    found = links(panel)
    # A field the editor shows links straight to it.
    edit = f"/submissions/{submitted.pk}/edit/"
    assert found[ORCID_LABEL] == edit + "#f-study-authors-0-orcid"
    assert found["Study \u203a Title"] == edit + "#f-study-title"  # "title" names the study title
    assert found["Fix in the editor"] == edit
    assert found["Reply or resubmit on the review page"] == (
        f"/submissions/{submitted.pk}/review/#answer"
    )
    assert links(html)["Resubmit for review"] == f"/submissions/{submitted.pk}/submit/"


def test_no_panel_without_an_open_change_request(submitted: Submission, researcher: User) -> None:
    html = hub(researcher, submitted)
    assert 'id="changes-requested"' not in html
    assert links(html)["Review & comments"] == f"/submissions/{submitted.pk}/review/"


def test_curator_gets_a_link_to_review_and_sees_the_request_without_fix_links(
    submitted: Submission, curator: User
) -> None:
    found = links(hub(curator, submitted))
    assert found["Review this submission"] == f"/submissions/{submitted.pk}/review/"
    queue = f"Review queue of {submitted.facility.name}"
    assert found[queue] == f"/review/{submitted.facility.slug}/"
    assert "Edit description" not in found
    ask_for_changes(submitted, curator)
    html = hub(curator, submitted)
    assert "Waiting for the researcher to answer." in html
    found = links(html)
    assert "Fix in the editor" not in found
    assert ORCID_LABEL not in found
    assert found["Open the review page"] == f"/submissions/{submitted.pk}/review/#answer"


def test_a_draft_links_to_its_review_page_but_not_to_processing(
    facility: object, researcher: User
) -> None:
    draft = factories.CompleteSubmissionFactory(owner=researcher, facility=facility)
    found = links(hub(researcher, draft))
    assert found["Review & comments"] == f"/submissions/{draft.pk}/review/"
    assert "Processing" not in found


@pytest.mark.parametrize(
    ("status", "processing", "landing"),
    [
        (S.SUBMITTED, False, False),
        (S.APPROVED, True, False),
        (S.PROCESSING, True, False),
        (S.PROCESSING_FAILED, True, False),
        (S.PUBLISHED, True, True),
        (S.REJECTED, False, False),
    ],
)
def test_processing_and_landing_links_follow_the_status(
    facility: object,
    researcher: User,
    curator: User,
    status: str,
    processing: bool,
    landing: bool,
) -> None:
    submission = factories.CompleteSubmissionFactory(
        owner=researcher,
        facility=facility,
        status=status,
        accession="APT-3" if status == S.PUBLISHED else None,
    )
    for user in (researcher, curator):
        found = links(hub(user, submission))
        assert ("Processing" in found) is processing
        if processing:
            assert found["Processing"] == f"/submissions/{submission.pk}/processing/"
        assert ("Published dataset APT-3" in found) is landing
        if landing:
            assert found["Published dataset APT-3"] == "/datasets/APT-3/"


def test_someone_elses_submission_with_an_open_request_is_not_found(
    submitted: Submission, curator: User, outsider: User
) -> None:
    ask_for_changes(submitted, curator)
    for url in (f"/submissions/{submitted.pk}/", f"/submissions/{submitted.pk}/edit/"):
        assert html_client(outsider).get(url).status_code == 404  # type: ignore[attr-defined]


def test_dashboard_says_what_to_do_next_for_each_submission(
    facility: object, researcher: User, curator: User, make_submitted: object
) -> None:
    asked = make_submitted(title="Asked")  # type: ignore[operator]
    ask_for_changes(asked, curator)
    waiting = make_submitted(title="Waiting")  # type: ignore[operator]
    running = factories.CompleteSubmissionFactory(
        owner=researcher, facility=facility, status=S.PROCESSING, title="Running"
    )
    for progress, name in ((0.2, "a.ome.tif"), (0.6, "b.ome.tif")):
        ConversionJob.objects.create(
            submission=running,
            data_file=factories.DataFileFactory(submission=running, name=name),
            progress=progress,
            state=JobState.RUNNING,
            due_at=timezone.now(),
        )
    published = factories.CompleteSubmissionFactory(
        owner=researcher, facility=facility, status=S.PUBLISHED, accession="APT-3"
    )
    draft = factories.CompleteSubmissionFactory(owner=researcher, facility=facility)
    response = html_client(researcher).get("/")  # type: ignore[attr-defined]
    found = links(response.content.decode())
    assert found["Changes requested — 3 points"] == f"/submissions/{asked.pk}/review/"
    assert found["Waiting for review"] == f"/submissions/{waiting.pk}/review/"
    assert found["Processing 40%"] == f"/submissions/{running.pk}/processing/"
    assert found["Published — APT-3"] == "/datasets/APT-3/"
    assert found["Draft — finish the description and submit"] == f"/submissions/{draft.pk}/edit/"
    assert published.title in found


def test_dashboard_hints_cost_the_same_queries_for_one_row_or_many(
    facility: object,
    researcher: User,
    curator: User,
    make_submitted: object,
    django_assert_max_num_queries: object,
) -> None:
    ask_for_changes(make_submitted(), curator)  # type: ignore[operator]
    client = html_client(researcher)
    with django_assert_max_num_queries(12) as one:  # type: ignore[operator]
        client.get("/")  # type: ignore[attr-defined]
    for _ in range(5):
        ask_for_changes(make_submitted(), curator)  # type: ignore[operator]
    with django_assert_max_num_queries(len(one.captured_queries)):  # type: ignore[operator]
        client.get("/")  # type: ignore[attr-defined]


def test_review_and_processing_pages_lead_back_to_the_hub(
    facility: object, researcher: User, curator: User
) -> None:
    submission = factories.CompleteSubmissionFactory(
        owner=researcher, facility=facility, status=S.PROCESSING, title="Back home"
    )
    for user in (researcher, curator):
        for page in ("review", "processing"):
            response = html_client(user).get(f"/submissions/{submission.pk}/{page}/")  # type: ignore[attr-defined]
            assert links(response.content.decode())["Back home"] == (
                f"/submissions/{submission.pk}/"
            )
