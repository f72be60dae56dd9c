"""The submission pages: new, overview (metadata and timeline), editor (check mode; its
saving is tests/lifecycle/test_editor_saves.py), submit confirmation, withdraw, delete;
hostile input stays inert."""

from __future__ import annotations

import pytest
from django.test import Client

from submissions.accounts.models import Role, User
from submissions.lifecycle import services
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.review import services as review
from tests import factories
from tests.factories import complete_rembi

pytestmark = pytest.mark.django_db


def client(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_dashboard_offers_new_submission_and_creates_a_draft(researcher: User) -> None:
    browser = client(researcher)
    assert b"New submission" in browser.get("/").content
    refused = browser.post("/submissions/new/", {"title": "  "})
    assert refused.status_code == 400
    assert b"Give the submission a title" in refused.content
    response = browser.post("/submissions/new/", {"title": "Zebrafish heart"})
    submission = Submission.objects.get()
    assert response["Location"] == f"/submissions/{submission.pk}/edit/"
    assert submission.title == "Zebrafish heart"


def test_script_and_html_render_inert_everywhere(researcher: User, facility, curator: User) -> None:  # type: ignore[no-untyped-def]
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> long enough title'
    metadata = complete_rembi(title=hostile, description=hostile)
    metadata["biosamples"][0]["title"] = hostile
    submission = services.create_submission(
        user=researcher, facility=facility, title="t", metadata=metadata
    )
    for user, path in [
        (researcher, ""),
        (researcher, "edit/"),
        (curator, ""),
        (researcher, "submit/"),
    ]:
        body = client(user).get(f"/submissions/{submission.pk}/{path}").content
        assert b"<script>alert" not in body, path
        assert b"<img src=x" not in body, path
        assert b"&lt;script&gt;alert" in body, path
    assert b"<script>alert" not in client(researcher).get("/").content


def test_curator_sees_metadata_and_timeline_but_no_editing(
    ready: Submission, researcher: User, curator: User
) -> None:
    review.submit(submission=ready, user=researcher, note="First version")
    page = client(curator).get(f"/submissions/{ready.pk}/").content.decode()
    assert "Spinning disk" in page
    assert "Timeline" in page
    assert "First version" in page
    assert "Edit description" not in page
    assert client(curator).get(f"/submissions/{ready.pk}/edit/").status_code == 404


def test_outsider_gets_404_on_every_page(draft: Submission, outsider: User) -> None:
    for path in ("", "edit/", "submit/", "withdraw/", "delete/"):
        assert client(outsider).get(f"/submissions/{draft.pk}/{path}").status_code == 404, path
    assert client(outsider).post(f"/submissions/{draft.pk}/submit/").status_code == 404


def test_group_colleague_may_read_but_not_edit(draft: Submission, facility) -> None:  # type: ignore[no-untyped-def]
    colleague = factories.member(facility=facility, role=Role.RESEARCHER, group=draft.group)
    assert client(colleague).get(f"/submissions/{draft.pk}/").status_code == 200
    assert client(colleague).get(f"/submissions/{draft.pk}/edit/").status_code == 404


def test_editor_check_mode_shows_what_is_missing(draft: Submission, researcher: User) -> None:
    page = client(researcher).get(f"/submissions/{draft.pk}/edit/?check=1").content.decode()
    assert "field-missing" in page
    assert "This is required." in page


def test_submit_page_lists_every_problem_with_links(draft: Submission, researcher: User) -> None:
    response = client(researcher).post(f"/submissions/{draft.pk}/submit/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Not ready to submit yet" in page
    assert f"/submissions/{draft.pk}/edit/?check=1#f-study-title" in page
    assert "Upload at least one file" in page


def test_double_submit_click_submits_once(ready: Submission, researcher: User) -> None:
    browser = client(researcher)
    first = browser.post(f"/submissions/{ready.pk}/submit/", {"note": "v1"})
    second = browser.post(f"/submissions/{ready.pk}/submit/", {"note": "v1"})
    assert first.status_code == second.status_code == 302
    assert ready.events.filter(kind="status").count() == 1
    page = browser.get(f"/submissions/{ready.pk}/").content.decode()
    assert "already submitted" in page


def test_withdraw_and_delete_with_confirmation(
    ready: Submission, draft: Submission, researcher: User
) -> None:
    browser = client(researcher)
    assert b"Yes, withdraw" in browser.get(f"/submissions/{draft.pk}/withdraw/").content
    browser.post(f"/submissions/{draft.pk}/withdraw/", {"note": "Duplicate"})
    draft.refresh_from_db()
    assert draft.status == SubmissionStatus.WITHDRAWN
    confirm = browser.get(f"/submissions/{ready.pk}/delete/").content.decode()
    assert "Its 1 file (1.0 kB) will be deleted too." in confirm
    assert "Yes, delete the draft and its 1 file" in confirm
    deleted = browser.post(f"/submissions/{ready.pk}/delete/")  # its file goes with it
    assert deleted.status_code == 302
    assert not Submission.objects.filter(pk=ready.pk).exists()


def test_submitted_submission_redirects_away_from_the_editor(
    ready: Submission, researcher: User
) -> None:
    review.submit(submission=ready, user=researcher)
    response = client(researcher).get(f"/submissions/{ready.pk}/edit/")
    assert response.status_code == 302
    assert response["Location"] == f"/submissions/{ready.pk}/"


def test_files_link_appears_only_when_the_uploads_page_exists(
    draft: Submission, researcher: User
) -> None:
    from django.urls import NoReverseMatch, reverse

    page = client(researcher).get(f"/submissions/{draft.pk}/").content.decode()
    try:
        files_url = reverse("submission-files", args=[draft.pk])
    except NoReverseMatch:
        assert "/files/" not in page
    else:
        assert files_url in page


def test_metadata_include_renders_for_other_pages(ready: Submission) -> None:
    from django.template.loader import render_to_string

    html = render_to_string("rembi/_metadata.html", {"metadata": ready.metadata})
    assert "Homo sapiens" in html
    assert "https://orcid.org/0000-0002-1825-0097" in html
    assert "Spinning disk" in html


def test_a_new_draft_names_its_creator_as_the_first_author(researcher: User) -> None:
    User.objects.filter(pk=researcher.pk).update(
        full_name="Rosalind Franklin", orcid="0000-0002-1825-0097"
    )
    client(researcher).post("/submissions/new/", {"title": "Zebrafish heart"})
    (author,) = Submission.objects.get().metadata["study"]["authors"]
    assert author["name"] == "Rosalind Franklin"
    assert author["email"] == researcher.email
    assert author["orcid"] == "0000-0002-1825-0097"
    assert author["contact"] is True  # ticked for them: a dataset needs a contact
    editor = client(researcher).get(f"/submissions/{Submission.objects.get().pk}/edit/")
    assert 'value="Rosalind Franklin"' in editor.content.decode()


def test_a_draft_offers_only_what_a_draft_can_do(
    draft: Submission, researcher: User, curator: User
) -> None:
    page = client(researcher).get(f"/submissions/{draft.pk}/").content.decode()
    assert "Delete draft" in page
    assert "Edit description" in page
    assert f'href="/submissions/{draft.pk}/withdraw/"' not in page
    # Problems read as sentences: a label and what to do, no codes or paths.
    problems = page[page.index('class="problem-list"') :]
    problems = problems[: problems.index("</ul>")]
    wanted = "Upload at least one file and wait until it has been inspected."
    assert f">Files</a>: {wanted}</li>" in problems
    assert "<code" not in problems
    assert "study." not in problems.replace(f"/submissions/{draft.pk}/edit/", "")


def test_withdraw_is_offered_once_curators_have_seen_it(
    ready: Submission, researcher: User, curator: User
) -> None:
    review.submit(submission=ready, user=researcher)
    review.request_changes(submission=ready, curator=curator, message="One more thing.")
    page = client(researcher).get(f"/submissions/{ready.pk}/").content.decode()
    assert f'href="/submissions/{ready.pk}/withdraw/"' in page
    assert "Delete draft" not in page
