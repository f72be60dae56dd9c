"""The review page in HTML: everything on one page, decisions safe against double clicks."""

from __future__ import annotations

import re
from html import unescape

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


def visible_text(html: str) -> str:
    """What a person reads on the page: no tags, attributes, scripts or templates."""
    html = re.sub(r"<(script|template|style)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_the_page_shows_metadata_files_and_timeline(submitted: Submission, curator: User) -> None:
    html = page_of(html_client(curator), submitted)
    text = visible_text(html)
    assert "ORCID iD" in text
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
    # For people: REMBI labels, no paths or internal keys, keywords as tags, links between
    # items by title.
    assert not re.search(r"\b(study|biosamples|specimens|acquisitions|components)\.", text)
    assert "hela" not in text.split()  # the biosample's key
    assert '<ul class="tags" aria-label="Keywords"><li>mitochondria</li><li>live imaging</li>' in (
        html
    )
    assert "#1" not in text
    component = html[html.index('id="field-components-0"') :]
    assert "HeLa cells" in component[: component.index("</section>")]
    assert "Request a change" in text


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


def test_one_bad_point_row_saves_nothing_and_keeps_every_row(
    submitted: Submission, curator: User
) -> None:
    data = {
        "message": "Please fix",
        "points-TOTAL_FORMS": "3",
        "points-INITIAL_FORMS": "0",
        "points-0-field": "study.authors.0.orcid",
        "points-0-message": "Add it",
        "points-1-field": "authors.0.orcid",  # a path that does not exist
        "points-1-message": "Bad",
        "points-2-field": "study.licence",
        "points-2-message": "Open licence, please",
    }
    response = html_client(curator).post(  # type: ignore[attr-defined]
        f"/submissions/{submitted.pk}/review/request-changes/", data
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count("Choose one of this submission&#x27;s fields from the list.") == 1
    assert "Please fix</textarea>" in html
    assert '<option value="study.authors.0.orcid" selected>' in html
    assert '<option value="study.licence" selected>' in html
    assert 'value="Add it"' in html
    assert 'value="Open licence, please"' in html
    assert 'id="request-changes" open' in html or 'open id="request-changes"' in html
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED
    assert not submitted.change_requests.exists()


def test_a_point_about_a_field_needs_words(submitted: Submission, curator: User) -> None:
    response = html_client(curator).post(  # type: ignore[attr-defined]
        f"/submissions/{submitted.pk}/review/request-changes/",
        {
            "message": "m",
            "points-TOTAL_FORMS": "1",
            "points-INITIAL_FORMS": "0",
            "points-0-field": "study.licence",
        },
    )
    assert response.status_code == 400
    assert "Say what should change." in response.content.decode()
    assert not submitted.change_requests.exists()


def test_an_unknown_assignee_is_refused_not_unassigned(
    submitted: Submission, curator: User
) -> None:
    review.claim(submission=submitted, curator=curator)
    response = html_client(curator).post(  # type: ignore[attr-defined]
        f"/submissions/{submitted.pk}/review/assign/", {"assignee": "999999"}
    )
    assert response.status_code == 400
    assert "Choose one of this facility&#x27;s curators." in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.assignee == curator


def test_an_overlong_approval_note_refuses_the_approval(
    submitted: Submission, curator: User
) -> None:
    response = html_client(curator).post(  # type: ignore[attr-defined]
        f"/submissions/{submitted.pk}/review/approve/", {"note": "n" * 20_001}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ensure this value has at most 20000 characters" in html
    assert "n" * 20_001 in html  # kept, to be shortened
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED
    assert not submitted.events.filter(to_status=S.APPROVED).exists()


@pytest.mark.parametrize(
    ("action", "data", "error"),
    [
        ("reject/", {"reason": "r" * 20_001}, "at most 20000 characters"),
        ("comment/", {"body": "Hello", "field": "no.such.field"}, "fields from the list"),
        ("comment/", {"body": "Hello", "file": "not-a-file"}, "files from the list"),
        ("comment/", {"body": ""}, "Write a comment."),
    ],
)
def test_every_review_form_rerenders_with_its_errors_and_saves_nothing(
    submitted: Submission, curator: User, action: str, data: dict[str, str], error: str
) -> None:
    response = html_client(curator).post(  # type: ignore[attr-defined]
        f"/submissions/{submitted.pk}/review/{action}", data
    )
    assert response.status_code == 400
    assert error in unescape(response.content.decode())
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED
    assert not submitted.comments.exists()


def test_request_a_change_beside_a_value_fills_the_first_point(
    submitted: Submission, curator: User
) -> None:
    response = html_client(curator).get(  # type: ignore[attr-defined]
        f"/submissions/{submitted.pk}/review/?point=study.licence"
    )
    html = response.content.decode()
    first = html[html.index('id="id_points-0-field"') :]
    assert '<option value="study.licence" selected>' in first[: first.index("</select>")]


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
    assert html.count("Curator asks:") == 2  # beside the two values
    # Each point links to its field in the editor, where it is fixed.
    edit = f"/submissions/{submitted.pk}/edit/"
    assert (
        f'<a href="{edit}#f-study-authors-0-orcid">Study \u203a Author 1 \u203a ORCID iD</a>'
        in (html)
    )
    assert f'href="{edit}#f-study-licence"' in html
    metadata = submitted.metadata
    metadata["study"]["authors"][0]["orcid"] = "0000-0001-5109-3700"
    metadata["study"]["licence"] = "https://creativecommons.org/publicdomain/zero/1.0/"
    from submissions.lifecycle import services as lifecycle

    lifecycle.save_description(submission=submitted, user=researcher, metadata=metadata)
    client.post(f"/submissions/{submitted.pk}/review/submit/")  # type: ignore[attr-defined]
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED
    assert submitted.metadata["study"]["authors"][0]["orcid"] == "0000-0001-5109-3700"
    curator_html = page_of(html_client(curator), submitted)
    assert "What changed since the last review" in curator_html
    assert "0000-0001-5109-3700" in curator_html
    diff = visible_text(curator_html[curator_html.index('id="diff"') :])
    assert "Study \u203a Licence" in diff
    assert "CC0 1.0" in diff  # the licence by its name, as the page shows it


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
