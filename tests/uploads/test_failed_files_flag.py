"""A submission is marked as holding a failed file while one of its files is failed, and only
then: the review queue's "has failures" filter reads that mark."""

from __future__ import annotations

import pytest

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.uploads.models import FileStatus
from submissions.uploads.services import failures
from submissions.uploads.services.removal import remove_file
from tests import factories

pytestmark = pytest.mark.django_db


def flagged(submission: Submission) -> bool:
    submission.refresh_from_db()
    return submission.has_failed_files


def test_the_mark_stays_until_the_last_failed_file_is_removed(
    researcher: User, draft: Submission
) -> None:
    first = factories.DataFileFactory(submission=draft, status=FileStatus.FAILED)
    second = factories.DataFileFactory(submission=draft, status=FileStatus.FAILED)
    healthy = factories.DataFileFactory(submission=draft, status=FileStatus.INSPECTED)
    assert flagged(draft)
    assert remove_file(datafile=first, user=researcher)
    assert flagged(draft)  # one failed file is left
    assert remove_file(datafile=healthy, user=researcher)
    assert flagged(draft)
    assert remove_file(datafile=second, user=researcher)
    assert not flagged(draft)


def test_refreshing_mends_a_mark_that_went_wrong(draft: Submission) -> None:
    factories.DataFileFactory(submission=draft, status=FileStatus.INSPECTED)
    Submission.objects.filter(pk=draft.pk).update(has_failed_files=True)
    failures.refresh(submission_id=draft.pk)
    assert not flagged(draft)
    failures.refresh(submission_id="00000000-0000-4000-8000-000000000000")  # gone: no error
