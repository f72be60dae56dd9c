from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.review import services as review
from tests.factories import complete_rembi
from tests.processing.conftest import image_bytes, submitted
from tests.publication.fake_datacite import FakeDataCite

__all__ = ["image_bytes", "submitted"]

PREFIX = "10.80000"


@pytest.fixture
def datacite(settings: Any) -> Iterator[FakeDataCite]:
    """DOIs on the local fake of DataCite's REST API (DataCite cannot be reached from here)."""
    with FakeDataCite(repository_id="APERTURE.TEST", password="s3cret", prefix=PREFIX) as fake:
        settings.DOI_PROVIDER = "datacite"
        settings.DATACITE_URL = fake.url
        settings.DATACITE_REPOSITORY_ID = "APERTURE.TEST"
        settings.DATACITE_PASSWORD = "s3cret"
        settings.DATACITE_PREFIX = PREFIX
        yield fake


def publish(submission: Submission, curator: User, capture: Any, *, release: dt.date) -> Submission:
    """Describe `submission` fully (release date `release`), approve it and run the pipeline."""
    metadata = complete_rembi(release_date=release.isoformat())
    metadata["study"]["title"] = submission.title
    Submission.objects.filter(pk=submission.pk).update(metadata=metadata)
    submission.facility.ror = "https://ror.org/05gq02987"
    submission.facility.save()
    with capture(execute=True):
        review.approve(submission=submission, curator=curator)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PUBLISHED
    return submission


@pytest.fixture
def embargoed(
    submitted: Submission, curator: User, django_capture_on_commit_callbacks
) -> Submission:
    """A published dataset under embargo for 30 more days, fully described."""
    release = dt.date.today() + dt.timedelta(days=30)
    return publish(submitted, curator, django_capture_on_commit_callbacks, release=release)


@pytest.fixture
def released(
    submitted: Submission, curator: User, django_capture_on_commit_callbacks
) -> Submission:
    """A published dataset released today, fully described."""
    return publish(submitted, curator, django_capture_on_commit_callbacks, release=dt.date.today())
