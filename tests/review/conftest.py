from __future__ import annotations

from collections.abc import Callable

import pytest

from submissions.accounts.models import Facility, User
from submissions.lifecycle.models import Submission
from submissions.review import services as review
from tests import factories


@pytest.fixture
def make_submitted(
    researcher: User, facility: Facility, django_capture_on_commit_callbacks: Callable[..., object]
) -> Callable[..., Submission]:
    """A complete submission of `researcher`, submitted through the real service."""

    def make(owner: User | None = None, **kwargs: object) -> Submission:
        submission = factories.CompleteSubmissionFactory(
            owner=owner or researcher, facility=facility, **kwargs
        )
        review.submit(submission=submission, user=owner or researcher)
        submission.refresh_from_db()
        return submission

    return make


@pytest.fixture
def submitted(make_submitted: Callable[..., Submission]) -> Submission:
    return make_submitted()


@pytest.fixture
def other_curator(facility: Facility) -> User:
    from submissions.accounts.models import Role

    return factories.member(facility=facility, role=Role.CURATOR)


def html_client(user: User) -> object:
    """A Django test client signed in as `user` (the HTML pages use sessions)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client
