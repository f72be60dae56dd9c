"""Only services move a submission, each move is checked, and each writes an event."""

from __future__ import annotations

import pytest

from submissions.accounts.models import User
from submissions.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from submissions.lifecycle import services
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.review import services as review
from submissions.uploads.models import FileStatus
from tests.factories import DataFileFactory, complete_rembi

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(researcher: User) -> Submission:
    """A draft ready to submit: a complete REMBI description and one verified file."""
    facility = researcher.memberships.get().facility
    submission = services.create_submission(
        user=researcher, facility=facility, title="Zebrafish heart", metadata=complete_rembi()
    )
    DataFileFactory(submission=submission, status=FileStatus.INSPECTED)
    return submission


def test_create_records_a_created_event_and_joins_the_group(
    draft: Submission, researcher: User
) -> None:
    assert draft.status == SubmissionStatus.DRAFT
    assert draft.group == researcher.memberships.get().group
    assert [e.kind for e in draft.events.all()] == ["created"]


def test_submit_then_double_click_is_refused_without_a_second_event(
    draft: Submission, researcher: User
) -> None:
    review.submit(submission=draft, user=researcher)
    with pytest.raises(InvalidTransition):
        review.submit(submission=draft, user=researcher)
    events = list(draft.events.filter(kind="status"))
    assert [(e.from_status, e.to_status) for e in events] == [("draft", "submitted")]
    assert events[0].actor == researcher


def test_only_curators_of_the_facility_approve(
    draft: Submission, researcher: User, curator: User, outsider: User
) -> None:
    review.submit(submission=draft, user=researcher)
    with pytest.raises(PermissionDenied):
        review.approve(submission=draft, curator=researcher)
    with pytest.raises(PermissionDenied):
        review.approve(submission=draft, curator=outsider)
    review.approve(submission=draft, curator=curator, note="Looks good")
    draft.refresh_from_db()
    assert draft.status == SubmissionStatus.APPROVED
    assert draft.events.last().note == "Looks good"  # type: ignore[union-attr]


def test_reject_needs_a_reason(draft: Submission, researcher: User, curator: User) -> None:
    review.submit(submission=draft, user=researcher)
    with pytest.raises(ValidationFailed) as error:
        review.reject(submission=draft, curator=curator, reason="  ")
    assert "reason" in error.value.fields
    draft.refresh_from_db()
    assert draft.status == SubmissionStatus.SUBMITTED


def test_withdraw_only_from_draft_or_changes_requested(
    draft: Submission, researcher: User, curator: User
) -> None:
    review.submit(submission=draft, user=researcher)
    with pytest.raises(InvalidTransition):
        services.withdraw(submission=draft, user=researcher)
    review.start_review(submission=draft, curator=curator)
    assert draft.status == SubmissionStatus.IN_REVIEW


def test_every_state_is_reachable_only_along_the_documented_graph() -> None:
    reachable = {SubmissionStatus.DRAFT.value}
    frontier = [SubmissionStatus.DRAFT.value]
    while frontier:
        for target in services.ALLOWED[frontier.pop()]:
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == {status.value for status in SubmissionStatus}
    # A published dataset can only be withdrawn (it stays as a tombstone), never undone.
    assert services.ALLOWED[SubmissionStatus.PUBLISHED] == {SubmissionStatus.TOMBSTONED}
    assert services.ALLOWED[SubmissionStatus.TOMBSTONED] == set()
