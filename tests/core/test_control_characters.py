"""Control characters in what people type. Single-line values (titles, names, labels) lose
every control, line-separator and bidi character on save and keep one line; multi-line values
(descriptions, comments, notes) keep their line breaks and tabs only. Nothing of it is a 500:
not NUL (which PostgreSQL refuses in text), not a lone surrogate (which UTF-8 cannot hold)."""

from __future__ import annotations

import pytest

from submissions.accounts.models import User
from submissions.accounts.tokens import issue_token
from submissions.core.text import multi_line, single_line
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission
from submissions.review import services as review
from submissions.review.services import ChangePoint
from tests import factories
from tests.conftest import client_for, signed_in

HOSTILE = "Zebrafish\n heart\tregeneration\r\n\x00\x1b[31m \u202egnp.exe\u202c \u2028end\x85"


def test_single_line_removes_controls_separators_and_bidi() -> None:
    assert single_line(HOSTILE) == "Zebrafish heart regeneration [31m gnp.exe end"
    assert single_line("a\ud800b") == "ab"  # a lone surrogate cannot be stored
    assert single_line("Ma\u200cryam  \u00a0 Lee") == "Ma\u200cryam Lee"  # ZWNJ is writing


def test_multi_line_keeps_line_breaks_and_tabs_only() -> None:
    text = multi_line("line one\r\nline\ttwo\rthree\x00\u202e\x85four\u2029")
    assert text == "line one\nline\ttwo\nthree\nfour"


@pytest.mark.parametrize(
    ("title", "stored"),
    [
        ("Zebrafish\nheart", "Zebrafish heart"),
        ("Tabs\tand\u202e bidi", "Tabs and bidi"),
        ("  \n\t ", None),  # nothing left: refused at the field
    ],
)
def test_titles_through_the_api_are_one_clean_line(
    researcher: User, facility: factories.Facility, title: str, stored: str | None
) -> None:
    response = client_for(researcher).post(
        "/api/v1/submissions/", {"title": title, "facility": facility.slug}, format="json"
    )
    if stored is None:
        assert response.status_code == 400
        assert response.json()["fields"] == {"title": ["This field may not be blank."]}
        return
    assert response.status_code == 201, response.content
    assert response.json()["title"] == stored
    assert Submission.objects.get(pk=response.json()["id"]).title == stored


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/submissions/", '{"title": "Lone \\ud800 surrogate", "facility": "%s"}'),
        # a value DRF echoes in its error message ("... is not a valid choice")
        ("/api/v1/facilities/%s/invitations/", '{"email": "a@example.org", "role": "\\udfff"}'),
    ],
)
def test_a_lone_surrogate_escape_is_refused_as_a_400(
    facility_admin: User, facility: factories.Facility, path: str, body: str
) -> None:
    """JSON may escape half a UTF-16 pair ("\\ud800"); it is no text, and storing or echoing
    it failed with UnicodeEncodeError, a 500."""
    response = client_for(facility_admin).generic(
        "POST",
        path.replace("%s", facility.slug),
        body.replace("%s", facility.slug),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"
    assert not Submission.objects.exists()


def test_nul_in_a_title_is_refused_at_the_field_by_the_api(
    researcher: User, facility: factories.Facility
) -> None:
    response = client_for(researcher).post(
        "/api/v1/submissions/", {"title": "a\x00b", "facility": facility.slug}, format="json"
    )
    assert response.status_code == 400
    assert "title" in response.json()["fields"]


def test_the_description_document_is_cleaned_field_by_field_on_save(
    researcher: User, facility: factories.Facility
) -> None:
    draft = lifecycle.create_submission(user=researcher, facility=facility, title="Draft")
    metadata = factories.complete_rembi(
        title="Mitochondria\x00 under\nstress\u202e",
        description="First line.\r\nSecond\tline.\x00\u202e",
        keywords=["live\nimaging", "mito\x00chondria"],
    )
    metadata["study"]["authors"][0]["name"] = "Josiah\n\x00Carberry"  # type: ignore[index]
    metadata["study"]["authors"][0]["orcid"] = "0000-0002-1825-0097\n"  # type: ignore[index]
    response = client_for(researcher).patch(
        f"/api/v1/submissions/{draft.pk}/", {"metadata": metadata}, format="json"
    )
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    study = draft.metadata["study"]
    assert draft.title == study["title"] == "Mitochondria under stress"
    assert study["description"] == "First line.\nSecond\tline."
    assert study["keywords"] == ["live imaging", "mitochondria"]
    assert study["authors"][0]["name"] == "Josiah Carberry"
    assert study["authors"][0]["orcid"] == "0000-0002-1825-0097"


def test_an_email_with_a_line_break_inside_stays_refused(
    researcher: User, facility: factories.Facility
) -> None:
    """Identifiers are cleaned and then checked: what is left must still be an address."""
    draft = lifecycle.create_submission(user=researcher, facility=facility, title="Draft")
    metadata = factories.complete_rembi()
    metadata["study"]["authors"][0]["email"] = "josiah@\nexample.org"  # type: ignore[index]
    response = client_for(researcher).patch(
        f"/api/v1/submissions/{draft.pk}/", {"metadata": metadata}, format="json"
    )
    assert response.status_code == 400
    assert "study.authors.0.email" in response.json()["fields"]


def test_a_name_on_the_account_page_is_one_clean_line(researcher: User) -> None:
    response = signed_in(researcher).post(
        "/account/", {"full_name": "Ada\r\nLovelace\x00\u202e", "orcid": ""}
    )
    assert response.status_code == 302
    researcher.refresh_from_db()
    assert researcher.full_name == "Ada Lovelace"


def test_a_token_name_is_one_clean_line(researcher: User) -> None:
    token, _key = issue_token(user=researcher, name="lab\nPC\x00\u202e")
    assert token.name == "lab PC"


def test_comments_keep_their_lines_and_lose_the_rest(submitted: Submission, curator: User) -> None:
    comment = review.add_comment(
        submission=submitted, author=curator, body="Looks good.\r\nOne thing:\x1b \u202efix"
    )
    assert comment.body == "Looks good.\nOne thing: fix"
    event = submitted.events.filter(kind="comment").last()
    assert event is not None
    assert "\x1b" not in event.note


def test_change_request_points_are_one_line_and_the_message_keeps_lines(
    submitted: Submission, curator: User
) -> None:
    request = review.request_changes(
        submission=submitted,
        curator=curator,
        message="Please:\n- add the ORCID\x00",
        points=[ChangePoint(message="Add\nthe ORCID\u202e", field_path="study.authors.0.orcid")],
    )
    assert request.message == "Please:\n- add the ORCID"
    assert request.points.get().message == "Add the ORCID"
