"""A comment in the review thread reaches the other side by e-mail, so a question does not
wait unread: the researcher's goes to the reviewing curator (all curators while unclaimed),
a curator's to the researcher; never to its author, once, unless muted."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core import mail

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.notifications import services as notifications
from submissions.review import services as review

pytestmark = pytest.mark.django_db
SITE = "https://aperture.example.org"


@pytest.fixture(autouse=True)
def _site_url(settings: object) -> None:
    settings.SITE_URL = SITE  # type: ignore[attr-defined]


def comment(capture: Callable[..., object], submission: Submission, author: User, body: str):
    mail.outbox.clear()
    with capture(execute=True):  # type: ignore[operator]
        return review.add_comment(submission=submission, author=author, body=body)


def test_a_researchers_question_reaches_every_curator_while_unclaimed(
    submitted: Submission,
    researcher: User,
    curator: User,
    other_curator: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    posted = comment(
        django_capture_on_commit_callbacks, submitted, researcher, "Is the pixel size right?"
    )
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert curator.email in recipients
    assert other_curator.email in recipients
    assert researcher.email not in recipients
    message = mail.outbox[0]
    assert message.subject.startswith("New comment on ")
    assert "Is the pixel size right?" in message.body
    assert f"{SITE}/submissions/{submitted.pk}/review/#comment-{posted.pk}" in message.body


def test_once_claimed_only_the_reviewer_hears_and_a_curator_answers_the_researcher(
    submitted: Submission,
    researcher: User,
    curator: User,
    other_curator: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    review.claim(submission=submitted, curator=curator)
    comment(django_capture_on_commit_callbacks, submitted, researcher, "Ready when you are.")
    assert [m.to[0] for m in mail.outbox] == [curator.email]

    comment(django_capture_on_commit_callbacks, submitted, curator, "Please add the ORCID iD.")
    assert [m.to[0] for m in mail.outbox] == [researcher.email]
    assert "Please add the ORCID iD." in mail.outbox[0].body


def test_muted_comment_mail_is_not_sent_and_a_retry_sends_nothing_twice(
    submitted: Submission,
    researcher: User,
    curator: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    from submissions.notifications.services import comment_mail

    notifications.set_muted_kinds(user=researcher, muted=["comment"])
    posted = comment(django_capture_on_commit_callbacks, submitted, curator, "A question.")
    assert mail.outbox == []
    notifications.set_muted_kinds(user=researcher, muted=[])
    assert comment_mail.deliver(comment_id=posted.pk) == 1
    assert comment_mail.deliver(comment_id=posted.pk) == 0  # the same comment, once
