"""The REMBI editor never loses input: valid values save while another is invalid, the invalid
one is kept as typed (Submission.draft_values) and shown with its error until fixed, added
items survive until removed, and a malformed add/remove action is a 400 with a message.

The browser side (autosave, in-place adding, leaving the page) is
tests/rembi/test_browser_editor.py.
"""

from __future__ import annotations

import pytest
from django.test import Client

from submissions.accounts.models import User
from submissions.lifecycle import services
from submissions.lifecycle.models import Submission

pytestmark = pytest.mark.django_db

BAD_ORCID = "0000-0002-1825-0098"  # the check digit is wrong


def client(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def url(submission: Submission) -> str:
    return f"/submissions/{submission.pk}/edit/"


def test_valid_values_save_and_an_invalid_one_is_kept_as_typed(
    draft: Submission, researcher: User
) -> None:
    browser = client(researcher)
    response = browser.post(
        url(draft),
        {
            "study.title": "A title typed by a person, long enough",
            "study.keywords": "mitochondria, stress",
            "study.authors.0.name": "Rosalind",
            "study.authors.0.orcid": BAD_ORCID,
            "study.description": "d" * 30_000,  # over the 20,000 characters allowed
            "_action": "save",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.metadata["study"]["title"] == "A title typed by a person, long enough"
    assert draft.title == "A title typed by a person, long enough"
    assert draft.metadata["study"]["keywords"] == ["mitochondria", "stress"]
    assert draft.metadata["study"]["authors"][0]["name"] == "Rosalind"
    # The description holds only valid values; what was typed waits beside it.
    assert draft.metadata["study"]["authors"][0]["orcid"] == ""
    assert draft.metadata["study"]["description"] == ""
    assert draft.draft_values == {
        "study.authors.0.orcid": BAD_ORCID,
        "study.description": "d" * 30_000,
    }

    page = browser.get(response["Location"]).content.decode()
    assert "2 values need correcting" in page
    assert "Everything else is saved." in page
    assert f'value="{BAD_ORCID}"' in page
    assert 'id="f-study-authors-0-orcid-error"' in page
    assert "check digit" in page
    assert "At most 20,000 characters" in page
    assert "Nothing was saved" not in page


def test_autosave_answers_in_plain_words(draft: Submission, researcher: User) -> None:
    browser = client(researcher)
    held = browser.post(
        url(draft),
        {"study.release_date": "2026-02-31", "study.keywords": "a, b"},
        HTTP_X_AUTOSAVE="1",
    )
    assert held.status_code == 200
    body = held.json()
    assert body["saved"] is True
    assert list(body["errors"]) == ["study.release_date"]
    assert (
        "One value needs correcting and is kept as you typed it: Study \u203a Release date."
        in (body["message"])
    )
    assert "Nothing was saved" not in body["message"]
    assert "value(s)" not in body["message"]
    draft.refresh_from_db()
    assert draft.metadata["study"]["keywords"] == ["a", "b"]
    assert draft.draft_values == {"study.release_date": "2026-02-31"}

    fixed = browser.post(
        url(draft),
        {"study.release_date": "2031-02-28", "study.keywords": "a, b"},
        HTTP_X_AUTOSAVE="1",
    ).json()
    assert fixed["errors"] == {}
    assert fixed["message"].startswith("All changes saved at ")
    draft.refresh_from_db()
    assert draft.metadata["study"]["release_date"] == "2031-02-28"
    assert draft.draft_values == {}


def test_a_value_kept_as_typed_stops_submitting_until_fixed(
    ready: Submission, researcher: User
) -> None:
    services.save_description(
        submission=ready,
        user=researcher,
        metadata={**ready.metadata, "study": {**ready.metadata["study"], "licence": "mine"}},
    )
    problems = services.submission_problems(submission=ready)
    assert list(problems) == ["study.licence"]
    assert "Choose one of the supported licences" in problems["study.licence"][0]
    page = client(researcher).get(f"/submissions/{ready.pk}/submit/").content.decode()
    assert "Not ready to submit yet" in page
    assert "Study \u203a Licence" in page


def test_an_item_added_stays_empty_until_removed(draft: Submission, researcher: User) -> None:
    browser = client(researcher)
    added = browser.post(
        url(draft),
        {
            "study.title": "Kept while adding",
            "study.authors.0.name": "A",
            "_action": "add:biosamples",
        },
    )
    assert added.status_code == 302
    assert "focus=f-biosamples-0" in added["Location"]
    draft.refresh_from_db()
    (blank,) = draft.metadata["biosamples"]
    assert blank["title"] == ""
    assert blank["key"].startswith("biosample-")
    assert draft.metadata["study"]["title"] == "Kept while adding"
    page = browser.get(added["Location"]).content.decode()
    assert 'id="f-biosamples-0-title"' in page
    assert "autofocus" in page

    # A later save of the page (the empty item posted as it is drawn) keeps it.
    browser.post(
        url(draft),
        {
            "study.title": "Kept while adding",
            "study.authors.0.name": "A",
            "biosamples.0.key": blank["key"],
            "biosamples.0.title": "",
        },
        HTTP_X_AUTOSAVE="1",
    )
    draft.refresh_from_db()
    assert len(draft.metadata["biosamples"]) == 1

    browser.post(
        url(draft),
        {
            "study.authors.0.name": "A",
            "study.authors.1.name": "B",
            "study.authors.2.name": "C",
            "biosamples.0.key": blank["key"],
            "_action": "remove:study.authors.1",
        },
    )
    draft.refresh_from_db()
    assert [a["name"] for a in draft.metadata["study"]["authors"]] == ["A", "C"]
    browser.post(url(draft), {"biosamples.0.key": blank["key"], "_action": "remove:biosamples.0"})
    draft.refresh_from_db()
    assert draft.metadata["biosamples"] == []


def test_adding_in_place_answers_with_the_redrawn_lists(
    draft: Submission, researcher: User
) -> None:
    body = (
        client(researcher)
        .post(
            url(draft),
            {"study.authors.0.name": "A", "_action": "add:biosamples"},
            HTTP_X_AUTOSAVE="1",
        )
        .json()
    )
    assert body["saved"] is True
    assert body["focus"] == "f-biosamples-0"
    # The list itself, and the study components whose choices name biosamples.
    assert set(body["fragments"]) == {"f-biosamples", "f-components"}
    assert 'id="f-biosamples-0-title"' in body["fragments"]["f-biosamples"]
    assert "Biosample 1 (untitled)" in body["fragments"]["f-components"] or (
        "None yet" in body["fragments"]["f-components"]
    )


@pytest.mark.parametrize(
    "action",
    [
        "add:study.authors.99",
        "add:",
        "add:nonexistent",
        "add:study.title",
        "add:study.authors.0.affiliation",
        "remove:study.authors.7",
        "remove:study",
        "remove:",
        "delete:everything",
    ],
)
def test_unknown_editor_actions_are_a_400_with_a_message(
    draft: Submission, researcher: User, action: str
) -> None:
    browser = client(researcher)
    before = dict(draft.metadata)
    page = browser.post(url(draft), {"study.title": "Not saved by this", "_action": action})
    assert page.status_code == 400
    assert b"Server Error" not in page.content
    assert any(
        words in page.content
        for words in (b"no such list", b"not in the description", b"does not know")
    )
    scripted = browser.post(
        url(draft), {"study.title": "Not saved", "_action": action}, HTTP_X_AUTOSAVE="1"
    )
    assert scripted.status_code == 400
    assert scripted.json()["saved"] is False
    assert scripted.json()["message"]
    draft.refresh_from_db()
    assert draft.metadata == before


def test_a_list_at_its_limit_takes_no_more(draft: Submission, researcher: User) -> None:
    data = {f"study.publications.{n}.title": f"Paper {n}" for n in range(100)}
    browser = client(researcher)
    browser.post(url(draft), data)
    refused = browser.post(url(draft), {**data, "_action": "add:study.publications"})
    assert refused.status_code == 400
    assert b"at most 100" in refused.content


def test_what_no_field_can_hold_refuses_the_save_whole(draft: Submission, researcher: User) -> None:
    browser = client(researcher)
    data = {f"study.grants.{n}.funder": "Wellcome" for n in range(101)}  # the limit is 100
    data["study.title"] = "Not saved with too many grants"
    page = browser.post(url(draft), data)
    assert page.status_code == 400
    assert "Not saved:" in page.content.decode()
    draft.refresh_from_db()
    assert draft.metadata["study"]["title"] == "Working title"


def test_a_last_save_sent_while_leaving_is_understood(draft: Submission, researcher: User) -> None:
    """navigator.sendBeacon cannot set headers: the form field says it is the script's."""
    answer = client(researcher).post(
        url(draft), {"study.title": "Saved on the way out of the page", "_autosave": "1"}
    )
    assert answer.status_code == 200
    assert answer.json()["saved"] is True
    draft.refresh_from_db()
    assert draft.metadata["study"]["title"] == "Saved on the way out of the page"


def test_the_api_still_refuses_a_malformed_value_whole(draft: Submission, researcher: User) -> None:
    from tests.conftest import client_for

    metadata = {**draft.metadata, "study": {**draft.metadata["study"], "title": "API title"}}
    metadata["study"]["authors"] = [{"name": "A", "orcid": BAD_ORCID}]
    response = client_for(researcher).patch(
        f"/api/v1/submissions/{draft.pk}/", {"metadata": metadata}, format="json"
    )
    assert response.status_code == 400
    assert "study.authors.0.orcid" in response.json()["fields"]
    draft.refresh_from_db()
    assert draft.metadata["study"]["title"] == "Working title"
