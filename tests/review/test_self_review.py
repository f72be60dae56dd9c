"""A curator cannot approve, reject or request changes on a submission they own or co-author
(their e-mail address or ORCID iD among its REMBI authors), unless the facility allows it;
then the timeline says it was a self-review. The rule holds on every path: the service, the
API and the page, where the decision buttons give way to the reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from allauth.account.models import EmailAddress

from submissions.accounts import services as accounts
from submissions.accounts.models import Facility, User
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.review import services as review
from submissions.review.self_review import SelfReviewRefused
from submissions.review.services import ChangePoint
from tests import factories
from tests.conftest import client_for, signed_in

S = SubmissionStatus
JOSIAH_ORCID = "0000-0002-1825-0097"  # the first author of factories.complete_rembi()


def _with_author(submission: Submission, **author: str) -> Submission:
    metadata = dict(submission.metadata)
    authors = [*metadata["study"]["authors"], {"name": "Co Author", **author}]
    metadata["study"] = {**metadata["study"], "authors": authors}
    Submission.objects.filter(pk=submission.pk).update(metadata=metadata)
    submission.refresh_from_db()
    return submission


DECISIONS: dict[str, Callable[[Submission, User], object]] = {
    "approve": lambda s, u: review.approve(submission=s, curator=u),
    "reject": lambda s, u: review.reject(submission=s, curator=u, reason="Out of scope."),
    "request_changes": lambda s, u: review.request_changes(
        submission=s, curator=u, message="Add the ORCID.", points=[ChangePoint("Add it.")]
    ),
}


@pytest.mark.parametrize("decision", list(DECISIONS))
def test_a_curator_cannot_decide_on_their_own_submission(
    make_submitted: Callable[..., Submission], curator: User, decision: str
) -> None:
    own = make_submitted(owner=curator)
    with pytest.raises(SelfReviewRefused) as refused:
        DECISIONS[decision](own, curator)
    assert "another curator" in refused.value.message
    own.refresh_from_db()
    assert own.status == S.SUBMITTED
    assert not own.events.filter(kind="self_review").exists()


@pytest.mark.parametrize(
    "how",
    ["email", "email_other_case", "verified_address", "orcid", "orcid_as_url"],
)
def test_a_co_author_is_recognised_by_address_or_orcid(
    submitted: Submission, curator: User, how: str
) -> None:
    if how == "email":
        _with_author(submitted, email=curator.email)
    elif how == "email_other_case":
        _with_author(submitted, email=curator.email.upper())
    elif how == "verified_address":
        EmailAddress.objects.create(user=curator, email="josiah@example.org", verified=True)
    elif how == "orcid":
        User.objects.filter(pk=curator.pk).update(orcid=JOSIAH_ORCID)
    else:
        User.objects.filter(pk=curator.pk).update(orcid=JOSIAH_ORCID)
        _with_author(submitted, orcid=f"https://orcid.org/{JOSIAH_ORCID}")
    curator.refresh_from_db()
    with pytest.raises(SelfReviewRefused):
        review.approve(submission=submitted, curator=curator)


def test_an_unverified_address_does_not_make_a_co_author(
    submitted: Submission, curator: User
) -> None:
    EmailAddress.objects.create(user=curator, email="josiah@example.org", verified=False)
    review.approve(submission=submitted, curator=curator)
    submitted.refresh_from_db()
    assert submitted.status == S.APPROVED


def test_the_api_refuses_with_a_403_saying_why(
    make_submitted: Callable[..., Submission], curator: User
) -> None:
    own = make_submitted(owner=curator)
    api = client_for(curator)
    for action, body in [
        ("approve", {}),
        ("reject", {"reason": "No."}),
        ("request-changes", {"message": "Change it."}),
    ]:
        response = api.post(f"/api/v1/review/submissions/{own.pk}/{action}/", body, format="json")
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "self_review"
        assert "another curator" in response.json()["message"]
    own.refresh_from_db()
    assert own.status == S.SUBMITTED


def test_the_review_page_explains_instead_of_offering_the_decisions(
    make_submitted: Callable[..., Submission], curator: User, other_curator: User
) -> None:
    own = make_submitted(owner=curator)
    page = signed_in(curator).get(f"/submissions/{own.pk}/review/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "another curator of" in html
    assert f"/submissions/{own.pk}/review/approve/" not in html
    assert f"/submissions/{own.pk}/review/reject/" not in html
    # A colleague sees the decisions as usual.
    colleague = signed_in(other_curator).get(f"/submissions/{own.pk}/review/").content.decode()
    assert f"/submissions/{own.pk}/review/approve/" in colleague
    assert "another curator of" not in colleague
    # And a POST to the page's action is refused all the same.
    posted = signed_in(curator).post(f"/submissions/{own.pk}/review/approve/", {"note": ""})
    assert posted.status_code == 403
    own.refresh_from_db()
    assert own.status == S.SUBMITTED


def test_where_the_facility_allows_it_the_timeline_records_the_self_review(
    make_submitted: Callable[..., Submission],
    curator: User,
    facility_admin: User,
    facility: Facility,
) -> None:
    accounts.update_facility_settings(
        admin=facility_admin, facility=facility, changes={"allow_self_review": True}
    )
    own = make_submitted(owner=curator)
    response = client_for(curator).post(
        f"/api/v1/review/submissions/{own.pk}/approve/", {"note": "Mine, fine."}, format="json"
    )
    assert response.status_code == 200, response.content
    own.refresh_from_db()
    assert own.status == S.APPROVED
    marked = own.events.get(kind="self_review")
    assert marked.actor == curator
    assert "own or co-author" in marked.note
    events = client_for(curator).get(f"/api/v1/submissions/{own.pk}/events/").json()
    kinds = [e["kind"] for e in (events["results"] if isinstance(events, dict) else events)]
    assert "self_review" in kinds
    timeline = signed_in(curator).get(f"/submissions/{own.pk}/").content.decode()
    assert "self-review" in timeline


def test_another_curators_decision_is_not_marked(
    make_submitted: Callable[..., Submission], curator: User, other_curator: User
) -> None:
    own = make_submitted(owner=curator)
    review.approve(submission=own, curator=other_curator)
    assert not own.events.filter(kind="self_review").exists()


def test_only_the_facility_admin_changes_the_setting_and_it_is_audited(
    facility: Facility, facility_admin: User, curator: User, outsider: User
) -> None:
    url = f"/api/v1/facilities/{facility.slug}/settings/"
    assert client_for(facility_admin).get(url).json() == {
        "allow_self_review": False,
        "keep_staging_after_publication": False,
    }
    assert (
        client_for(curator).patch(url, {"allow_self_review": True}, format="json").status_code
        == 403
    )
    assert (
        client_for(outsider).patch(url, {"allow_self_review": True}, format="json").status_code
        == 404
    )
    bad = client_for(facility_admin).patch(url, {"allow_self_review": "maybe"}, format="json")
    assert bad.status_code == 400
    assert "allow_self_review" in bad.json()["fields"]
    done = client_for(facility_admin).patch(url, {"allow_self_review": True}, format="json")
    assert done.status_code == 200
    assert done.json() == {"allow_self_review": True, "keep_staging_after_publication": False}
    facility.refresh_from_db()
    assert facility.allow_self_review is True
    audit = facility.audit_events.get(kind="facility.settings")
    assert audit.actor == facility_admin
    assert audit.data == {
        "before": {"allow_self_review": False},
        "after": {"allow_self_review": True},
    }


def test_the_settings_page_turns_it_on_and_off(facility: Facility, facility_admin: User) -> None:
    client = signed_in(facility_admin)
    page = client.get(f"/facility/{facility.slug}/settings/")
    assert page.status_code == 200
    assert "Curators may review their own submissions" in page.content.decode()
    client.post(f"/facility/{facility.slug}/settings/", {"allow_self_review": "on"})
    facility.refresh_from_db()
    assert facility.allow_self_review is True
    client.post(f"/facility/{facility.slug}/settings/", {})
    facility.refresh_from_db()
    assert facility.allow_self_review is False
    assert facility.audit_events.filter(kind="facility.settings").count() == 2


def test_the_settings_page_is_for_admins_only(
    facility: Facility, curator: User, outsider: User
) -> None:
    assert signed_in(curator).get(f"/facility/{facility.slug}/settings/").status_code == 403
    assert signed_in(outsider).get(f"/facility/{facility.slug}/settings/").status_code == 404
    other = factories.FacilityFactory()
    assert signed_in(curator).post(f"/facility/{other.slug}/settings/", {}).status_code == 404
