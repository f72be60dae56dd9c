"""The metadata editor shows each open change-request point beside the field it is about,
and lists them all on top, so the researcher can fix them where they type."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.review import services as review
from submissions.review.services import ChangePoint

pytestmark = pytest.mark.django_db


def editor(user: User, submission: Submission) -> str:
    browser = Client()
    browser.force_login(user)
    response = browser.get(f"/submissions/{submission.pk}/edit/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def asked(ready: Submission, researcher: User, curator: User) -> Submission:
    review.submit(submission=ready, user=researcher)
    review.request_changes(
        submission=ready,
        curator=curator,
        message="Please fix these.",
        points=[
            ChangePoint(field_path="study.authors.0.orcid", message="Add the ORCID iD"),
            ChangePoint(field_path="study.authors.0", message="Is this the right person?"),
            ChangePoint(field_path="title", message="Name the cell line"),
            ChangePoint(message="Say where the raw data came from"),
        ],
    )
    ready.refresh_from_db()
    return ready


def test_each_point_sits_between_its_fields_label_and_input(
    asked: Submission, researcher: User
) -> None:
    html = editor(researcher, asked)
    beside_orcid = re.search(
        r'<label for="f-study-authors-0-orcid">.*?</label>\s*'
        r'<ul class="field-requests"[^>]*>.*?Add the ORCID iD.*?</ul>\s*'
        r'<input [^>]*id="f-study-authors-0-orcid"',
        html,
        re.S,
    )
    assert beside_orcid, "the ORCID point is not beside the ORCID field"
    # Screen readers announce the request with the field: the input names the list.
    assert '<ul class="field-requests" id="f-study-authors-0-orcid-requests"' in html
    orcid_input = re.search(r'<input [^>]*id="f-study-authors-0-orcid"[^>]*>', html, re.S)
    assert orcid_input
    assert "f-study-authors-0-orcid-requests" in orcid_input.group(0)
    beside_author = re.search(
        r'<fieldset class="rembi-item" id="f-study-authors-0">\s*<legend>[^<]*</legend>\s*'
        r'<ul class="field-requests"[^>]*>.*?Is this the right person\?',
        html,
        re.S,
    )
    assert beside_author, "the point about the author is not at the top of that author"
    # "title" is what review calls the study title.
    beside_title = re.search(
        r'<label for="f-study-title">.*?</label>\s*'
        r'<ul class="field-requests"[^>]*>.*?Name the cell line.*?</ul>\s*'
        r'<input [^>]*id="f-study-title"',
        html,
        re.S,
    )
    assert beside_title, "the title point is not beside the study title"
    # Once each: the point about no field is only in the list on top.
    assert html.count("Curator asks:") == 3


def test_the_top_panel_lists_every_point_and_links_those_the_form_shows(
    asked: Submission, researcher: User
) -> None:
    html = editor(researcher, asked)
    panel = html[html.index('id="changes-requested"') : html.index('id="rembi-form"')]
    assert "Changes requested — 4 points" in panel
    assert 'href="#f-study-authors-0-orcid"' in panel
    assert 'href="#f-study-authors-0"' in panel
    assert 'href="#f-study-title"' in panel
    # About no field: listed, and answered on the review page.
    assert "<li>Say where the raw data came from</li>" in panel
    # Fields by their REMBI names; the paths stay in the links.
    assert "Study \u203a Author 1 \u203a ORCID iD" in panel
    assert ">study." not in panel
    assert 'title="study' not in panel
    assert f'href="/submissions/{asked.pk}/review/#answer"' in panel
    assert "Fix in the editor" not in panel


def test_no_requests_shown_once_resubmitted(
    asked: Submission, researcher: User, curator: User
) -> None:
    review.submit(submission=asked, user=researcher)
    review.request_changes(submission=asked, curator=curator, message="Only the licence now.")
    html = editor(researcher, asked)
    assert "Add the ORCID iD" not in html
    assert '<h2 id="cr-panel-heading">Changes requested</h2>' in html
    assert "Only the licence now." in html
    assert 'class="field-requests"' not in html


def test_an_optional_section_with_a_point_inside_opens_by_itself(
    ready: Submission, researcher: User, curator: User
) -> None:
    closed = editor(researcher, ready)
    assert re.search(r'<details class="optional-section"\s+id="f-correlation-details"', closed)
    review.submit(submission=ready, user=researcher)
    review.request_changes(
        submission=ready,
        curator=curator,
        message="One more thing.",
        points=[ChangePoint(field_path="correlation.fiducials_used", message="Name the beads")],
    )
    html = editor(researcher, ready)
    assert re.search(r'<details class="optional-section" open id="f-correlation-details"', html)
    assert "Curator asks:</span> Name the beads" in html
