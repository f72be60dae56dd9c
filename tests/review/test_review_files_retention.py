"""The review page's file list once retention deleted a rejected submission's uploads: each
file says so with the date, no preview is offered (its object is gone with the upload), and
the list stops waiting for checks that will never run."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.review import services as review
from submissions.uploads.models import DataFile, FileStatus
from submissions.uploads.services import retention
from tests.conftest import client_for
from tests.review.conftest import html_client
from tests.review.test_review_page import page_of, visible_text

pytestmark = pytest.mark.django_db


def purge(submission: Submission, curator: User) -> DataFile:
    """Reject `submission` and run the retention purge past its date; returns its file."""
    review.reject(submission=submission, curator=curator, reason="Out of scope.")
    done = retention.purge_due(now=timezone.now() + datetime.timedelta(days=400))
    assert [result.submission_id for result in done] == [str(submission.pk)]
    return submission.files.get()


def with_preview(submission: Submission) -> str:
    """Inspection made a preview of the submission's file; returns its address."""
    data_file = submission.files.get()
    data_file.inspection = {**data_file.inspection, "preview": True}
    data_file.save(update_fields=["inspection"])
    return reverse("submission-file-preview", args=[submission.pk, data_file.pk])


def test_a_deleted_file_says_when_and_offers_no_preview(
    submitted: Submission, curator: User, researcher: User
) -> None:
    preview = with_preview(submitted)
    assert preview in page_of(html_client(curator), submitted)  # offered while it exists

    data_file = purge(submitted, curator)

    assert data_file.purged_at is not None
    said = (
        f"Its uploaded bytes were deleted on {retention.human_date(data_file.purged_at)}, "
        "after the submission was rejected."
    )
    for person in (curator, researcher):
        html = page_of(html_client(person), submitted)
        row = html[html.index(f'id="file-{data_file.pk}"') :]
        row = row[: row.index("</tbody>")]
        text = re.sub(r" ([,.])", r"\1", " ".join(visible_text(row).split()))
        assert "Deleted" in text
        assert said in text
        assert "Inspected" not in text
        assert preview not in html  # neither the thumbnail nor the inspection's
    api = client_for(curator).get(f"/api/v1/review/submissions/{submitted.pk}/").json()
    assert api["files"][0]["purged_at"] is not None
    # The address itself answers that it is gone, not a server error.
    answer = html_client(curator).get(preview)  # type: ignore[attr-defined]
    assert answer.status_code == 410


def test_a_deleted_file_that_was_never_inspected_is_not_polled_for(
    submitted: Submission, curator: User
) -> None:
    data_file = submitted.files.get()
    DataFile.objects.filter(pk=data_file.pk).update(status=FileStatus.VERIFIED)
    assert "Checks are still running" in page_of(html_client(curator), submitted)

    purge(submitted, curator)

    html = page_of(html_client(curator), submitted)
    files = html[html.index('id="files"') :]
    assert "Checks are still running" not in files
    assert "hx-get" not in files[: files.index(">")]
    assert "Being inspected" not in visible_text(files)
