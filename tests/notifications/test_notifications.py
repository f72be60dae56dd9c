"""Each decision reaches the people concerned by e-mail, once, unless they muted it."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import override_settings

from submissions.accounts.models import Role, User
from submissions.core import dispatch
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.notifications import services as notifications
from submissions.notifications.models import SentNotification
from submissions.notifications.services import submission_mail
from submissions.processing import services as processing
from submissions.review import services as review
from submissions.review.services import ChangePoint
from tests import factories

pytestmark = pytest.mark.django_db
S = SubmissionStatus
SITE = "https://aperture.example.org"


@pytest.fixture(autouse=True)
def _site_url(settings: object) -> None:
    settings.SITE_URL = SITE  # type: ignore[attr-defined]


def html_of(message: mail.EmailMessage) -> str:
    return message.alternatives[0][0]  # type: ignore[attr-defined, no-any-return]


def test_submitting_mails_every_curator_in_text_and_html_with_a_link_to_the_review(
    researcher: User,
    curator: User,
    facility_admin: User,
    outsider: User,
    facility: object,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    submission = factories.CompleteSubmissionFactory(owner=researcher, facility=facility)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        review.submit(submission=submission, user=researcher)
    # (The factory's file has no stored bytes: its review copy fails on our side, which
    # alerts the admins in a mail of its own.)
    waiting = [m for m in mail.outbox if m.subject.startswith("Waiting for review: ")]
    assert sorted(m.to[0] for m in waiting) == sorted([curator.email, facility_admin.email])
    message = waiting[0]
    assert message.subject.startswith("Waiting for review: ")
    link = f"{SITE}/submissions/{submission.pk}/review/"
    assert link in message.body
    assert f'href="{link}"' in html_of(message)
    assert f"{SITE}/account/notifications/" in message.body


def test_changes_requested_lists_the_points_for_the_researcher(
    submitted: Submission,
    researcher: User,
    curator: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        review.request_changes(
            submission=submitted,
            curator=curator,
            message="Nearly there <b>really</b>.",
            points=[ChangePoint(field_path="study.authors.0.orcid", message="Add the ORCID iD")],
        )
    # Approval also starts processing (its own mail is tested with processing).
    (message,) = [m for m in mail.outbox if not m.subject.startswith("Processing")]
    assert message.to == [researcher.email]
    assert message.subject.startswith("Changes requested")
    # Fields by their REMBI names, never by a path.
    assert "Study \u203a Author 1 \u203a ORCID iD: Add the ORCID iD" in message.body
    assert "study." not in message.body
    assert "Study \u203a Author 1 \u203a ORCID iD: Add the ORCID iD" in html_of(message)
    assert "Nearly there <b>really</b>." in message.body  # plain text is not escaped
    assert "&lt;b&gt;really&lt;/b&gt;" in html_of(message)  # and HTML is


@pytest.mark.parametrize(
    ("decide", "subject"),
    [
        (lambda s, c: review.approve(submission=s, curator=c, note="Lovely"), "Approved"),
        (
            lambda s, c: review.reject(submission=s, curator=c, reason="Wrong facility"),
            "Not accepted",
        ),
    ],
)
def test_decisions_reach_the_researcher(
    submitted: Submission,
    researcher: User,
    curator: User,
    decide: Callable[[Submission, User], object],
    subject: str,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        decide(submitted, curator)
    # Approval also starts processing (its own mail is tested with processing).
    (message,) = [m for m in mail.outbox if not m.subject.startswith("Processing")]
    assert message.to == [researcher.email]
    assert message.subject.startswith(subject)
    decision = submitted.events.filter(from_status="submitted").last()
    assert decision.note in message.body  # type: ignore[union-attr]


def test_published_and_processing_failed_mail_from_transitions_and_from_notify_once(
    submitted: Submission,
    researcher: User,
    curator: User,
    facility_admin: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    review.approve(submission=submitted, curator=curator)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        lifecycle.transition(submission=submitted, to=S.PROCESSING, actor=None)
        processing.fail_submission(submission_id=submitted.pk, reason="Converter ran out of memory")
        # A second trigger for the same failure (a retried task) sends nothing more.
        dispatch.submission_mail(submission_id=submitted.pk, kind=S.PROCESSING_FAILED)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([researcher.email, facility_admin.email])
    assert "Converter ran out of memory" in mail.outbox[0].body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        lifecycle.transition(submission=submitted, to=S.PROCESSING, actor=None)
        submitted.accession = "APT-000042"
        submitted.save(update_fields=["accession"])
        lifecycle.transition(submission=submitted, to=S.PUBLISHED, actor=None)
        dispatch.submission_mail(submission_id=submitted.pk, kind=S.PUBLISHED)
    (message,) = mail.outbox
    assert message.subject == f"Published as APT-000042: {submitted.title}"
    # The public landing page, not the private review page.
    assert f"Its public page: {SITE}/datasets/APT-000042/" in message.body
    assert f'href="{SITE}/datasets/APT-000042/"' in html_of(message)
    assert "/review/" not in message.body
    # A retried failure notice with its own key is news again.
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        dispatch.submission_mail(
            submission_id=submitted.pk, kind=S.PROCESSING_FAILED, key="retry-2", note="Disk full"
        )
    assert "Disk full" in mail.outbox[-1].body


def test_a_muted_kind_is_not_sent_but_others_are(
    submitted: Submission,
    researcher: User,
    curator: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    notifications.set_muted_kinds(user=researcher, muted=["changes_requested"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        review.request_changes(submission=submitted, curator=curator, message="Fix the title")
    assert mail.outbox == []
    review.update_fields(
        submission=submitted,
        user=researcher,
        changes={"title": "Better: mitochondrial fission in live HeLa cells"},
    )
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        review.submit(submission=submitted, user=researcher)
        review.approve(submission=submitted, curator=curator)
    decisions = [m for m in mail.outbox if not m.subject.startswith("Processing")]
    assert [m.to[0] for m in decisions] == [curator.email, researcher.email]


def test_a_resubmission_goes_to_the_assigned_curator_only(
    submitted: Submission,
    researcher: User,
    curator: User,
    other_curator: User,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    review.claim(submission=submitted, curator=curator)
    review.request_changes(submission=submitted, curator=curator, message="Title")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        review.submit(submission=submitted, user=researcher)
    assert [m.to[0] for m in mail.outbox] == [curator.email]


def test_delivery_is_idempotent_when_a_task_runs_twice(
    submitted: Submission, curator: User
) -> None:
    mail.outbox.clear()
    first = submission_mail.deliver(submission_id=str(submitted.pk), kind="submitted")
    again = submission_mail.deliver(submission_id=str(submitted.pk), kind="submitted")
    assert first == len(mail.outbox) > 0
    assert again == 0


@override_settings(EMAIL_BACKEND="tests.notifications.test_notifications.BrokenBackend")
def test_a_failed_send_is_not_recorded_so_a_retry_sends_it(
    submitted: Submission, curator: User
) -> None:
    with pytest.raises(OSError, match="SMTP down"):
        submission_mail.deliver(submission_id=str(submitted.pk), kind="submitted")
    assert not SentNotification.objects.exists()


class BrokenBackend:
    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: object) -> int:
        raise OSError("SMTP down")


def test_daily_digest_lists_waiting_submissions_oldest_first_once_a_day(
    make_submitted: Callable[..., Submission],
    curator: User,
    facility_admin: User,
    outsider: User,
) -> None:
    old = make_submitted(title="The oldest one")
    Submission.objects.filter(pk=old.pk).update(
        submitted_at=old.submitted_at - datetime.timedelta(days=9)  # type: ignore[operator]
    )
    make_submitted(title="A fresh one")
    notifications.set_muted_kinds(user=facility_admin, muted=["digest"])
    factories.member(facility=factories.FacilityFactory(), role=Role.CURATOR)  # nothing waiting
    mail.outbox.clear()
    today = datetime.date(2026, 11, 24)
    assert submission_mail.send_daily_digest(today=today) == 1
    assert submission_mail.send_daily_digest(today=today) == 0
    (message,) = mail.outbox
    assert message.to == [curator.email]
    assert message.subject == "2 submissions waiting for review"
    assert message.body.index("The oldest one") < message.body.index("A fresh one")
    assert "waiting 1 week, 2 days" in message.body.replace("\xa0", " ")
    assert f"{SITE}/review/" in message.body


def test_the_digest_is_on_the_beat_schedule(settings: object) -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE  # type: ignore[attr-defined]
    assert (
        schedule["review-daily-digest"]["task"]
        == "submissions.notifications.tasks.send_daily_digest"
    )
