"""The review page in HTML: everything on one page, decisions safe against double clicks."""

from __future__ import annotations

import pytest

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.review import services as review
from submissions.review.services import ChangePoint
from tests.review.conftest import html_client

pytestmark = pytest.mark.django_db
S = SubmissionStatus


def page_of(client: object, submission: Submission) -> str:
    response = client.get(f"/submissions/{submission.pk}/review/")  # type: ignore[attr-defined]
    assert response.status_code == 200
    return response.content.decode()  # type: ignore[no-any-return]


def test_the_page_shows_metadata_files_and_timeline(submitted: Submission, curator: User) -> None:
    html = page_of(html_client(curator), submitted)
    assert "authors.0.orcid" in html
    assert "0000-0002-1825-0097" in html
    assert "cells_t0.ome.tif" in html
    assert "OME-TIFF" in html
    assert "T1 C2 Z30 Y512 X512" in html
    assert "channels: DAPI, GFP" in html
    assert "9f86d081884c7d" in html
    assert "Inspected" in html
    assert "Approve" in html
    assert "Request changes" in html
    assert "Reject" in html
    assert 'class="timeline"' in html


def test_researcher_sees_no_decisions_and_outsiders_get_404(
    submitted: Submission, researcher: User, outsider: User
) -> None:
    html = page_of(html_client(researcher), submitted)
    assert "Send change request" not in html
    assert html_client(outsider).get(f"/submissions/{submitted.pk}/review/").status_code == 404  # type: ignore[attr-defined]
    denied = html_client(researcher).post(f"/submissions/{submitted.pk}/review/approve/")  # type: ignore[attr-defined]
    assert denied.status_code == 403


def test_double_click_on_approve_approves_once_and_says_so(
    submitted: Submission, curator: User
) -> None:
    client = html_client(curator)
    first = client.post(f"/submissions/{submitted.pk}/review/approve/", {"note": ""})  # type: ignore[attr-defined]
    second = client.post(f"/submissions/{submitted.pk}/review/approve/", {"note": ""}, follow=True)  # type: ignore[attr-defined]
    assert first.status_code == 302
    assert second.status_code == 200
    assert "cannot become approved" in second.content.decode()
    assert submitted.events.filter(to_status=S.APPROVED).count() == 1


def test_reject_without_reason_shows_the_error_at_the_field(
    submitted: Submission, curator: User
) -> None:
    response = html_client(curator).post(  # type: ignore[attr-defined]
        f"/submissions/{submitted.pk}/review/reject/", {"reason": "  "}
    )
    assert response.status_code == 400
    assert "Say why it is rejected." in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_change_request_form_keeps_what_was_typed_when_a_point_is_wrong(
    submitted: Submission, curator: User
) -> None:
    data = {
        "message": "Please fix",
        "points-TOTAL_FORMS": "2",
        "points-INITIAL_FORMS": "0",
        "points-0-field": "authors.1.orcid",
        "points-0-message": "Add it",
        "points-1-field": "not a path!",
        "points-1-message": "Bad",
    }
    response = html_client(curator).post(  # type: ignore[attr-defined]
        f"/submissions/{submitted.pk}/review/request-changes/", data
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "is not a field path" in html
    assert 'value="Please fix' in html or "Please fix</textarea>" in html
    assert 'value="authors.1.orcid"' in html


def test_researcher_sees_points_next_to_fields_fixes_them_and_resubmits(
    submitted: Submission, curator: User, researcher: User
) -> None:
    review.request_changes(
        submission=submitted,
        curator=curator,
        message="Two things",
        points=[
            ChangePoint(field_path="study.authors.0.orcid", message="Add the ORCID iD"),
            ChangePoint(field_path="study.licence", message="Pick an open licence"),
        ],
    )
    client = html_client(researcher)
    html = page_of(client, submitted)
    assert html.count("Curator asks:") >= 4  # beside the metadata rows and the fix form
    response = client.post(  # type: ignore[attr-defined]
        f"/submissions/{submitted.pk}/review/fix/",
        {
            "study.authors.0.orcid": "0000-0001-5109-3700",
            "study.licence": "https://creativecommons.org/publicdomain/zero/1.0/",
        },
    )
    assert response.status_code == 302
    client.post(f"/submissions/{submitted.pk}/review/submit/")  # type: ignore[attr-defined]
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED
    assert submitted.metadata["study"]["authors"][0]["orcid"] == "0000-0001-5109-3700"
    curator_html = page_of(html_client(curator), submitted)
    assert "What changed since the last review" in curator_html
    assert "0000-0001-5109-3700" in curator_html


def test_field_requests_include_renders_for_the_metadata_editor(
    submitted: Submission, curator: User
) -> None:
    from django.template.loader import render_to_string

    from submissions.review.selectors import open_change_requests

    review.request_changes(
        submission=submitted,
        curator=curator,
        message="m",
        points=[ChangePoint(field_path="title", message="Name the cell line")],
    )
    html = render_to_string(
        "review/_field_requests.html",
        {"points": open_change_requests(submitted)["title"]},
    )
    assert "Name the cell line" in html


def test_notification_settings_page_mutes_kinds(researcher: User) -> None:
    from submissions.notifications.services import muted_kinds

    client = html_client(researcher)
    assert client.get("/account/notifications/").status_code == 200  # type: ignore[attr-defined]
    client.post("/account/notifications/", {"wanted": ["approved", "rejected"]})  # type: ignore[attr-defined]
    assert "changes_requested" in muted_kinds(user=researcher)
    assert "approved" not in muted_kinds(user=researcher)


def test_new_submission_can_be_submitted_from_the_page(researcher: User, facility: object) -> None:
    from tests.factories import CompleteSubmissionFactory

    draft = CompleteSubmissionFactory(owner=researcher, facility=facility)
    client = html_client(researcher)
    assert "Submit for review" in page_of(client, draft)
    client.post(f"/submissions/{draft.pk}/review/submit/")  # type: ignore[attr-defined]
    draft.refresh_from_db()
    assert draft.status == S.SUBMITTED
