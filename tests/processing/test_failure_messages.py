"""A failure on Aperture's side tells the researcher what happens next, never a server path or
an exception; curators see the details on the same page and can retry."""

from __future__ import annotations

import pytest
from django.core import mail

from submissions.accounts.models import User
from submissions.lifecycle.models import SubmissionEvent, SubmissionStatus
from submissions.processing.models import ConversionJob
from submissions.publication.services import publish as publication
from submissions.review import services as review
from tests.conftest import signed_in

SECRET_PATH = "/srv/aperture/var/storage/staging/uploads/secret-key"


def approve(submission, curator, capture) -> None:
    with capture(execute=True):
        review.approve(submission=submission, curator=curator)
    submission.refresh_from_db()


def researcher_sees(submission, researcher: User) -> str:
    note = SubmissionEvent.objects.filter(submission=submission).last().note
    mails = "\n".join(f"{m.subject}\n{m.body}" for m in mail.outbox if researcher.email in m.to)
    page = signed_in(researcher).get(f"/submissions/{submission.pk}/processing/")
    return f"{note}\n{mails}\n{page.content.decode()}"


@pytest.mark.django_db
def test_a_publication_crash_shows_no_server_path_to_the_researcher(
    submitted,
    researcher: User,
    curator: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
) -> None:
    def crash(**kwargs):
        # What a staged original deleted behind our back looks like (not transient).
        raise FileNotFoundError(2, "No such file or directory", SECRET_PATH)

    monkeypatch.setattr(publication, "_write_archive", crash)
    mail.outbox.clear()
    approve(submitted, curator, django_capture_on_commit_callbacks)

    assert submitted.status == SubmissionStatus.PROCESSING_FAILED
    seen = researcher_sees(submitted, researcher)
    assert "problem on Aperture&#x27;s side" in seen or "problem on Aperture's side" in seen
    assert SECRET_PATH not in seen
    assert "Errno" not in seen
    assert any("failed" in m.subject.lower() for m in mail.outbox if researcher.email in m.to)

    theirs = signed_in(curator).get(f"/submissions/{submitted.pk}/processing/").content.decode()
    assert "Details for curators" in theirs
    assert SECRET_PATH in theirs
    assert "Retry processing" in theirs


@pytest.mark.django_db
def test_a_misconfigured_converter_blames_aperture_not_the_file(
    submitted,
    researcher: User,
    curator: User,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    settings.BIOFORMATS2RAW = "/opt/missing/bioformats2raw/bin/bioformats2raw"
    settings.PROCESSING_MAX_ATTEMPTS = 1
    mail.outbox.clear()
    approve(submitted, curator, django_capture_on_commit_callbacks)

    assert submitted.status == SubmissionStatus.PROCESSING_FAILED
    job = ConversionJob.objects.filter(submission=submitted).first()
    assert job.error_kind == "application"
    assert "/opt/missing" in job.error_details  # kept for curators
    seen = researcher_sees(submitted, researcher)
    assert "/opt/missing" not in seen
    assert "not with your file" in seen
