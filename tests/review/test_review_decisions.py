"""Curators claim, assign, request changes, approve and reject; repeats change nothing."""

from __future__ import annotations

import pytest

from submissions.accounts.models import User
from submissions.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.review import services as review
from submissions.review.models import ChangeRequest
from submissions.review.selectors import open_change_requests
from submissions.review.services import AlreadyClaimed, ChangePoint

pytestmark = pytest.mark.django_db
S = SubmissionStatus


def test_claim_starts_the_review_and_a_second_click_changes_nothing(
    submitted: Submission, curator: User
) -> None:
    review.claim(submission=submitted, curator=curator)
    review.claim(submission=submitted, curator=curator)
    submitted.refresh_from_db()
    assert submitted.status == S.IN_REVIEW
    assert submitted.assignee == curator
    assert submitted.events.filter(kind="assigned").count() == 1
    assert submitted.events.filter(kind="status", to_status=S.IN_REVIEW).count() == 1


def test_claiming_a_colleagues_review_is_refused_but_assigning_hands_it_over(
    submitted: Submission, curator: User, other_curator: User
) -> None:
    review.claim(submission=submitted, curator=curator)
    with pytest.raises(AlreadyClaimed) as error:
        review.claim(submission=submitted, curator=other_curator)
    assert error.value.http_status == 409
    review.assign(submission=submitted, curator=curator, assignee=other_curator)
    submitted.refresh_from_db()
    assert submitted.assignee == other_curator
    assert "Assigned to" in submitted.events.filter(kind="assigned").last().note  # type: ignore[union-attr]


def test_only_curators_of_the_facility_can_be_assigned_or_assign(
    submitted: Submission, curator: User, researcher: User, outsider: User
) -> None:
    with pytest.raises(ValidationFailed) as error:
        review.assign(submission=submitted, curator=curator, assignee=researcher)
    assert "assignee" in error.value.fields
    with pytest.raises(PermissionDenied):
        review.claim(submission=submitted, curator=researcher)
    with pytest.raises(PermissionDenied):
        review.assign(submission=submitted, curator=outsider, assignee=None)


def test_request_changes_needs_a_message_and_keeps_the_state_when_refused(
    submitted: Submission, curator: User
) -> None:
    with pytest.raises(ValidationFailed) as error:
        review.request_changes(submission=submitted, curator=curator, message="   ")
    assert "message" in error.value.fields
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED
    assert not ChangeRequest.objects.exists()


def test_request_changes_lists_points_by_field_and_file(
    submitted: Submission, curator: User
) -> None:
    file = submitted.files.get()
    change_request = review.request_changes(
        submission=submitted,
        curator=curator,
        message="Almost there.",
        points=[
            ChangePoint(field_path="study.authors.0.orcid", message="Add the ORCID iD."),
            ChangePoint(field_path="study.licence", message="Pick an open licence."),
            ChangePoint(file_id=str(file.pk), message="This file is out of focus."),
            ChangePoint(message="Please describe the staining."),
        ],
    )
    submitted.refresh_from_db()
    assert submitted.status == S.CHANGES_REQUESTED
    assert change_request.event is not None
    assert change_request.event.note == "Almost there."
    points = open_change_requests(submitted)
    assert [p.message for p in points["study.authors.0.orcid"]] == ["Add the ORCID iD."]
    assert [p.message for p in points[f"file:{file.pk}"]] == ["This file is out of focus."]
    assert [p.message for p in points[""]] == ["Please describe the staining."]


def test_bad_points_are_reported_at_their_row_and_nothing_is_saved(
    submitted: Submission, curator: User, outsider: User
) -> None:
    from tests.factories import DataFileFactory

    foreign_file = DataFileFactory()
    with pytest.raises(ValidationFailed) as error:
        review.request_changes(
            submission=submitted,
            curator=curator,
            message="Fix these",
            points=[
                ChangePoint(field_path="authors..orcid; DROP TABLE", message="x"),
                ChangePoint(field_path="title", message=""),
                ChangePoint(file_id=str(foreign_file.pk), message="not ours"),
            ],
        )
    assert set(error.value.fields) == {"points.0.field", "points.1.message", "points.2.file"}
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


@pytest.mark.parametrize(
    "path",
    [
        "authors.0.orcid",  # the old help text's example: the real path starts with study.
        "study.authors.5.orcid",  # there is one author
        "study.keywords.0",  # a keyword is not a field of its own
        "biosamples.0.key",  # keys are the server's, never shown
        "study.nonsense",
        "",
    ],
)
def test_a_point_can_only_name_a_field_of_this_description(
    submitted: Submission, curator: User, path: str
) -> None:
    points = [ChangePoint(field_path=path or " ", message="Fix it")]
    with pytest.raises(ValidationFailed) as error:
        review.request_changes(
            submission=submitted,
            curator=curator,
            message="m",
            points=[*points, ChangePoint(field_path="zz", message="x")] if not path else points,
        )
    key = "points.1.field" if not path else "points.0.field"
    assert error.value.fields[key] == ["Choose one of this submission's fields from the list."]
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_points_may_name_fields_items_sections_and_optional_ones_not_filled_yet(
    submitted: Submission, curator: User
) -> None:
    paths = [
        "study.authors.0.orcid",
        "study.authors.0",
        "study.authors",
        "biosamples.0.organism.taxon_id",
        "title",
        "correlation.fiducials_used",  # an optional section the editor offers
        "study.grants",  # an empty list: "add a grant"
    ]
    change_request = review.request_changes(
        submission=submitted,
        curator=curator,
        message="m",
        points=[ChangePoint(field_path=p, message="look") for p in paths],
    )
    assert [p.field_path for p in change_request.points.order_by("pk")] == paths


def test_a_double_click_on_request_changes_sends_one_request(
    submitted: Submission, curator: User
) -> None:
    review.request_changes(submission=submitted, curator=curator, message="Fix the title")
    with pytest.raises(InvalidTransition):
        review.request_changes(submission=submitted, curator=curator, message="Fix the title")
    assert ChangeRequest.objects.count() == 1


def test_approve_and_reject_are_curator_decisions_made_once(
    make_submitted: object, curator: User, researcher: User
) -> None:
    first = make_submitted()  # type: ignore[operator]
    second = make_submitted()  # type: ignore[operator]
    with pytest.raises(PermissionDenied):
        review.approve(submission=first, curator=researcher)
    review.approve(submission=first, curator=curator)
    with pytest.raises(InvalidTransition):
        review.approve(submission=first, curator=curator)
    with pytest.raises(InvalidTransition):
        review.reject(submission=first, curator=curator, reason="too late")
    review.reject(submission=second, curator=curator, reason="Not microscopy data.")
    second.refresh_from_db()
    assert second.status == S.REJECTED


def test_resubmitting_snapshots_the_submission_and_closes_the_request(
    submitted: Submission, curator: User, researcher: User
) -> None:
    review.request_changes(
        submission=submitted,
        curator=curator,
        message="Two things",
        points=[
            ChangePoint(field_path="study.authors.0.orcid", message="Add it"),
            ChangePoint(field_path="title", message="Say which cells"),
        ],
    )
    review.update_fields(
        submission=submitted,
        user=researcher,
        changes={
            "study.authors.0.orcid": "0000-0001-5109-3700",
            "title": "Mitochondria in HeLa cells under stress",
        },
    )
    review.submit(submission=submitted, user=researcher)
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED
    assert list(submitted.snapshots.values_list("round", flat=True)) == [1, 2]
    assert open_change_requests(submitted) == {}
    assert submitted.change_requests.get().resolved_at is not None


def test_only_the_submitter_edits_and_only_while_changes_are_requested(
    submitted: Submission, curator: User, researcher: User
) -> None:
    with pytest.raises(PermissionDenied):
        review.update_fields(submission=submitted, user=curator, changes={"title": "Mine now"})
    with pytest.raises(InvalidTransition):
        review.update_fields(submission=submitted, user=researcher, changes={"title": "Later"})
    review.request_changes(submission=submitted, curator=curator, message="Title please")
    with pytest.raises(ValidationFailed) as error:
        review.update_fields(
            submission=submitted, user=researcher, changes={"title": "", "a..b": "x"}
        )
    assert set(error.value.fields) == {"title", "a..b"}
    submitted.refresh_from_db()
    assert submitted.title.startswith("Mitochondrial dynamics")


def test_comments_come_from_the_submitter_and_curators_and_may_point_at_a_field(
    submitted: Submission, curator: User, researcher: User, outsider: User
) -> None:
    from submissions.accounts.models import Role
    from tests.factories import member

    labmate = member(facility=submitted.facility, role=Role.RESEARCHER)
    file = submitted.files.get()
    review.add_comment(
        submission=submitted,
        author=curator,
        body="Which objective?",
        field_path="acquisitions.0.instrument",
    )
    reply = review.add_comment(
        submission=submitted, author=researcher, body="See the file.", file_id=str(file.pk)
    )
    assert reply.file == file
    with pytest.raises(PermissionDenied):
        review.add_comment(submission=submitted, author=labmate, body="Me too")
    with pytest.raises(ValidationFailed) as error:
        review.add_comment(
            submission=submitted, author=researcher, body="", field_path="bad path", file_id="zz"
        )
    assert set(error.value.fields) == {"body", "field", "file"}
    assert submitted.comments.count() == 2
