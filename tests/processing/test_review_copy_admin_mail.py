"""A review copy that fails on Aperture's side (storage, the converter), not because of the
researcher's file, is mailed to the facility admins: once per image, whatever the retries and
resubmissions. A file at fault still goes to the researcher only.

Celery runs eagerly and the converter is the real built-in one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from django.core import mail

from submissions.accounts.models import User
from submissions.processing import jobs as jobs_module
from submissions.processing.models import ConversionJob, JobState
from submissions.review import services as review
from submissions.uploads.models import FileStatus
from tests.processing.conftest import add_file
from tests.processing.test_review_copies import complete_draft

pytestmark = pytest.mark.django_db


def mails_to(person: User) -> list[Any]:
    return [m for m in mail.outbox if person.email in m.to]


def alerts_to(person: User) -> list[Any]:
    """The mails about a conversion that failed on our side (an admin also curates, so
    they get the "waiting for review" mail too)."""
    return [m for m in mails_to(person) if "Aperture's side" in m.subject]


def test_a_storage_outage_that_outlasts_the_retries_mails_the_admins_once(
    researcher: User,
    curator: User,
    facility_admin: User,
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    submit,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PROCESSING_MAX_ATTEMPTS = 3
    submission = complete_draft(researcher, tmp_path, files=1)

    def outage(**_kwargs: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://s3.example.org")

    monkeypatch.setattr(jobs_module, "_convert_and_push", outage)
    mail.outbox.clear()
    submission = submit(submission)

    job = ConversionJob.objects.get(submission=submission)
    assert job.state == JobState.FAILED
    assert job.error_kind == "application"
    assert job.attempts == 3  # retried, then given up
    (told,) = alerts_to(facility_admin)
    assert told.subject == f"Conversion failed on Aperture's side: {submission.title}"
    assert "cells_0.tif (storage_unavailable)" in told.body
    assert "not with the researcher's file" in told.body
    assert f"/submissions/{submission.pk}/review/" in told.body
    # Not the researcher's fault: they are not told to replace the file.
    assert not [m for m in mails_to(researcher) if "could not be converted" in m.subject]
    assert alerts_to(researcher) == []
    assert alerts_to(curator) == []

    # The curators ask for changes and the researcher resubmits: the job runs again and
    # fails again, and the admins are not mailed a second time.
    with django_capture_on_commit_callbacks(execute=True):
        review.request_changes(submission=submission, curator=curator, message="Try again.")
    submission = submit(submission)
    job.refresh_from_db()
    assert job.attempts == 3
    assert job.state == JobState.FAILED
    assert len(alerts_to(facility_admin)) == 1


def test_a_broken_file_is_the_researchers_to_fix_and_no_admin_is_mailed(
    researcher: User, facility_admin: User, tmp_path: Path, submit
) -> None:
    submission = complete_draft(researcher, tmp_path, files=1)
    add_file(
        submission,
        b"II*\x00" + b"\x00" * 64,
        name="broken.tif",
        status=FileStatus.INSPECTED,
        inspection={"series": [{"sizes": {"T": 1, "C": 1, "Z": 1, "Y": 64, "X": 64}}]},
    )
    mail.outbox.clear()
    submit(submission)

    assert any("could not be converted" in m.subject for m in mails_to(researcher))
    assert alerts_to(facility_admin) == []
