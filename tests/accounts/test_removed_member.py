"""Removing a member freezes their drafts in that facility: they can no longer edit them, add
or send files, or submit them, and every page and API answer says why. Nothing is deleted:
the facility's curators still see the drafts and keep reviewing what was already submitted.
Invited back, the member carries on where they left off."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from submissions.accounts import services as accounts
from submissions.accounts.models import Facility, Membership, User
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.review import services as review
from submissions.uploads import services as uploads
from submissions.uploads.services import drafts
from tests import factories
from tests.conftest import client_for, signed_in
from tests.uploads.helpers import b64sha256

S = SubmissionStatus


@pytest.fixture
def removed(researcher: User, facility: Facility, facility_admin: User) -> Callable[[], None]:
    def remove() -> None:
        membership = Membership.objects.get(user=researcher, facility=facility)
        response = client_for(facility_admin).delete(
            f"/api/v1/facilities/{facility.slug}/members/{membership.pk}/"
        )
        assert response.status_code == 204

    return remove


@pytest.fixture
def draft(researcher: User, facility: Facility) -> Submission:
    """A draft that is complete, so only the freeze can stop it."""
    return factories.CompleteSubmissionFactory(owner=researcher, facility=facility)


def _frozen_answer(response: object) -> None:
    assert response.status_code == 403, response.content  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["code"] == "submission_frozen"
    assert "you are no longer a member of" in body["message"]
    assert "invite" in body["message"]


def test_the_removed_members_draft_refuses_edits_uploads_and_submitting_over_the_api(
    researcher: User, draft: Submission, removed: Callable[[], None]
) -> None:
    api = client_for(researcher)
    started = api.post(
        "/api/v1/uploads/",
        {"submission": str(draft.pk), "name": "late.tif", "size": 10},
        format="json",
    )
    assert started.status_code == 201, started.content
    removed()

    _frozen_answer(
        api.patch(f"/api/v1/submissions/{draft.pk}/", {"metadata": draft.metadata}, format="json")
    )
    _frozen_answer(api.post(f"/api/v1/submissions/{draft.pk}/submit/"))
    _frozen_answer(
        api.post(
            "/api/v1/uploads/",
            {"submission": str(draft.pk), "name": "more.tif", "size": 10},
            format="json",
        )
    )
    _frozen_answer(
        api.post(
            f"/api/v1/uploads/{started.json()['id']}/parts/1/",
            {"checksum": b64sha256(b"0123456789")},
            format="json",
        )
    )
    _frozen_answer(api.post(f"/api/v1/uploads/{started.json()['id']}/complete/"))
    _frozen_answer(api.post(f"/api/v1/submissions/{draft.pk}/withdraw/"))
    draft.refresh_from_db()
    assert draft.status == S.DRAFT  # kept as it was


def test_the_services_refuse_whatever_path_calls_them(
    researcher: User, draft: Submission, removed: Callable[[], None]
) -> None:
    removed()
    with pytest.raises(lifecycle.SubmissionFrozen):
        lifecycle.update_submission(submission=draft, user=researcher, title="New title")
    with pytest.raises(lifecycle.SubmissionFrozen):
        review.submit(submission=draft, user=researcher)
    with pytest.raises(lifecycle.SubmissionFrozen):
        uploads.create_upload(user=researcher, submission=draft, name="x.tif", size=1)
    with pytest.raises(lifecycle.SubmissionFrozen):
        drafts.delete_draft(submission=draft, user=researcher)


def test_the_pages_say_why_and_offer_no_edits(
    researcher: User, draft: Submission, removed: Callable[[], None]
) -> None:
    removed()
    client = signed_in(researcher)
    detail = client.get(f"/submissions/{draft.pk}/").content.decode()
    assert "This submission is frozen" in detail
    assert f"/submissions/{draft.pk}/edit/" not in detail
    assert f"/submissions/{draft.pk}/submit/" not in detail

    edit = client.get(f"/submissions/{draft.pk}/edit/", follow=True)
    assert "This submission is frozen" in edit.content.decode()
    assert edit.redirect_chain[-1][0] == f"/submissions/{draft.pk}/"

    autosave = client.post(
        f"/submissions/{draft.pk}/edit/", {"study.title": "Changed"}, HTTP_X_AUTOSAVE="1"
    )
    assert autosave.status_code == 403
    assert "This submission is frozen" in autosave.json()["message"]

    submit = client.post(f"/submissions/{draft.pk}/submit/", {"note": ""}, follow=True)
    assert "This submission is frozen" in submit.content.decode()
    draft.refresh_from_db()
    assert draft.status == S.DRAFT

    review_page = client.get(f"/submissions/{draft.pk}/review/").content.decode()
    assert "This submission is frozen" in review_page
    assert f"/submissions/{draft.pk}/review/submit/" not in review_page

    files = client.get(f"/submissions/{draft.pk}/files/").content.decode()
    assert "This submission is frozen" in files
    assert "uploader-section" not in files


def test_curators_still_see_the_drafts_and_review_what_was_submitted(
    researcher: User,
    curator: User,
    facility: Facility,
    draft: Submission,
    make_submitted: Callable[..., Submission],
    removed: Callable[[], None],
) -> None:
    in_review = make_submitted()
    removed()
    api = client_for(curator)
    assert api.get(f"/api/v1/submissions/{draft.pk}/").status_code == 200
    queue = api.get(f"/api/v1/review/facilities/{facility.slug}/queue/").json()
    assert str(in_review.pk) in str(queue)
    page = signed_in(curator).get(f"/submissions/{draft.pk}/").content.decode()
    assert "This submission is frozen" in page
    assert f"{researcher.display_name} is no longer a member" in page
    review.approve(submission=in_review, curator=curator)
    in_review.refresh_from_db()
    assert in_review.status == S.APPROVED
    # The removed researcher still sees their own work, read-only.
    assert client_for(researcher).get(f"/api/v1/submissions/{draft.pk}/").status_code == 200


def test_the_audit_log_counts_the_frozen_drafts(
    facility: Facility, draft: Submission, removed: Callable[[], None]
) -> None:
    removed()
    event = facility.audit_events.get(kind="member.removed")
    assert event.data["frozen_drafts"] == 1
    assert event.summary.endswith("; 1 draft frozen")


def test_invited_back_the_member_carries_on(
    researcher: User,
    facility: Facility,
    facility_admin: User,
    draft: Submission,
    removed: Callable[[], None],
) -> None:
    removed()
    invitation = accounts.invite(
        admin=facility_admin, facility=facility, email=researcher.email, role="researcher"
    )
    accounts.accept_invitation(user=researcher, token=invitation.token)
    assert lifecycle.frozen_reason(submission=draft) == ""
    lifecycle.update_submission(submission=draft, user=researcher, title="Back at work")
    draft.refresh_from_db()
    assert draft.title == "Back at work"


def test_drafts_in_other_facilities_are_not_frozen(
    researcher: User, facility: Facility, removed: Callable[[], None]
) -> None:
    elsewhere = factories.FacilityFactory()
    Membership.objects.create(user=researcher, facility=elsewhere, role="researcher")
    other = factories.CompleteSubmissionFactory(owner=researcher, facility=elsewhere)
    removed()
    lifecycle.update_submission(submission=other, user=researcher, title="Still mine")
    other.refresh_from_db()
    assert other.title == "Still mine"
