"""Describing, submitting and deleting through the services: all-or-nothing saves, owners
only, submission only when complete, one event per change."""

from __future__ import annotations

import pytest

from submissions.accounts.models import Role, User
from submissions.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from submissions.lifecycle import services
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.review import services as review
from submissions.uploads.models import FileStatus
from submissions.uploads.services import drafts
from tests import factories
from tests.factories import DataFileFactory, complete_rembi

pytestmark = pytest.mark.django_db


def test_saving_a_description_stores_the_cleaned_document_and_syncs_the_title(
    draft: Submission, researcher: User
) -> None:
    services.update_submission(submission=draft, user=researcher, metadata=complete_rembi())
    draft.refresh_from_db()
    assert draft.title == "Mitochondrial dynamics in HeLa cells under oxidative stress"
    assert draft.metadata["biosamples"][0]["organism"]["common_name"] == "human"


def test_a_refused_save_changes_nothing(draft: Submission, researcher: User) -> None:
    services.update_submission(submission=draft, user=researcher, metadata=complete_rembi())
    before = Submission.objects.get(pk=draft.pk).metadata
    bad = complete_rembi(description="y" * 1_048_576, licence="MIT")
    with pytest.raises(ValidationFailed) as error:
        services.update_submission(submission=draft, user=researcher, metadata=bad)
    assert set(error.value.fields) == {"study.description", "study.licence"}
    assert "Nothing was saved" in error.value.message
    assert Submission.objects.get(pk=draft.pk).metadata == before


def test_only_the_owner_edits_even_within_the_group(draft: Submission, facility) -> None:  # type: ignore[no-untyped-def]
    colleague = factories.member(facility=facility, role=Role.RESEARCHER, group=draft.group)
    with pytest.raises(PermissionDenied):
        services.update_submission(submission=draft, user=colleague, metadata={})


def test_a_submitted_description_cannot_be_edited(ready: Submission, researcher: User) -> None:
    review.submit(submission=ready, user=researcher)
    with pytest.raises(InvalidTransition):
        services.update_submission(submission=ready, user=researcher, metadata=complete_rembi())


def test_submit_lists_every_problem_at_once(draft: Submission, researcher: User) -> None:
    with pytest.raises(ValidationFailed) as error:
        review.submit(submission=draft, user=researcher)
    fields = error.value.fields
    assert {"study.title", "study.description", "study.licence", "biosamples", "files"} <= set(
        fields
    )
    draft.refresh_from_db()
    assert draft.status == SubmissionStatus.DRAFT
    assert not draft.events.filter(kind="status").exists()


def test_submit_needs_an_inspected_file(researcher: User, facility) -> None:  # type: ignore[no-untyped-def]
    submission = services.create_submission(
        user=researcher, facility=facility, title="t", metadata=complete_rembi()
    )
    with pytest.raises(ValidationFailed) as error:
        review.submit(submission=submission, user=researcher)
    assert set(error.value.fields) == {"files"}
    DataFileFactory(submission=submission, status=FileStatus.INSPECTED)
    assert (
        review.submit(submission=submission, user=researcher).status == SubmissionStatus.SUBMITTED
    )


def test_double_submit_makes_one_event(ready: Submission, researcher: User) -> None:
    review.submit(submission=ready, user=researcher, note="Please look")
    with pytest.raises(InvalidTransition):
        review.submit(submission=ready, user=researcher)
    events = list(ready.events.filter(kind="status"))
    assert [(e.from_status, e.to_status, e.note) for e in events] == [
        ("draft", "submitted", "Please look")
    ]


def test_changes_requested_can_be_edited_and_resubmitted(
    ready: Submission, researcher: User, curator: User
) -> None:
    review.submit(submission=ready, user=researcher)
    review.start_review(submission=ready, curator=curator)
    with pytest.raises(ValidationFailed):
        review.request_changes(submission=ready, curator=curator, message=" ")
    review.request_changes(submission=ready, curator=curator, message="Add the growth protocol")
    metadata = complete_rembi()
    metadata["specimens"][0]["growth_protocol"] = "DMEM, 10% FBS, 37 °C"
    services.update_submission(submission=ready, user=researcher, metadata=metadata)
    review.submit(submission=ready, user=researcher)
    statuses = [e.to_status for e in ready.events.filter(kind="status")]
    assert statuses == ["submitted", "in_review", "changes_requested", "submitted"]


def test_only_curators_request_changes(ready: Submission, researcher: User) -> None:
    review.submit(submission=ready, user=researcher)
    with pytest.raises(PermissionDenied):
        review.request_changes(submission=ready, curator=researcher, message="x")


def test_autosaves_make_one_timeline_entry(draft: Submission, researcher: User) -> None:
    for _ in range(5):
        services.update_submission(submission=draft, user=researcher, metadata=complete_rembi())
    assert [e.kind for e in draft.events.all()] == ["created", "metadata_updated"]


def test_only_drafts_are_deleted(ready: Submission, draft: Submission, researcher: User) -> None:
    review.submit(submission=ready, user=researcher)
    with pytest.raises(InvalidTransition):
        drafts.delete_draft(submission=ready, user=researcher)
    drafts.delete_draft(submission=draft, user=researcher)
    assert not Submission.objects.filter(pk=draft.pk).exists()


def test_create_refuses_malformed_metadata_and_creates_nothing(researcher: User, facility) -> None:  # type: ignore[no-untyped-def]
    bad = complete_rembi(authors=[{"name": "A", "orcid": "0000-0000-0000-0000"}])
    with pytest.raises(ValidationFailed) as error:
        services.create_submission(user=researcher, facility=facility, title="t", metadata=bad)
    assert "study.authors.0.orcid" in error.value.fields
    assert not Submission.objects.exists()
