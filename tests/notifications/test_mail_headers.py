"""A title with a line break (or a header injection attempt) never stops the mail about its
submission: every header is built from cleaned values. Proven through the real submit path:
the API call, the on-commit dispatch, the Celery task (eager here), the mail service and
Django's mail backend, which refuses a message whose headers hold a line break
(BadHeaderError) exactly as SMTP sending would."""

from __future__ import annotations

from collections.abc import Callable

from django.core import mail

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.uploads.models import FileStatus
from tests import factories
from tests.conftest import client_for

INJECTION = "Zebrafish heart\r\nBcc: victim@example.org\r\n\r\nhello\u202e"


def _submit_through_the_api(
    researcher: User, submission: Submission, capture: Callable[..., object]
) -> None:
    with capture(execute=True):  # type: ignore[operator]
        response = client_for(researcher).post(f"/api/v1/submissions/{submission.pk}/submit/")
    assert response.status_code == 200, response.content
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED


def _assert_clean_headers(curators: list[User]) -> None:
    # The factory's file has no stored bytes, so its review copy fails on our side and the
    # admins are alerted too: every mail's headers must be clean, whatever its kind.
    waiting = [m for m in mail.outbox if m.subject.startswith("Waiting for review: ")]
    assert sorted(m.to[0] for m in waiting) == sorted(c.email for c in curators)
    for message in mail.outbox:
        rendered = message.message()  # what would go over SMTP; raises on a bad header
        assert "\n" not in message.subject
        assert "\r" not in message.subject
        assert rendered["Bcc"] is None
        assert message.bcc == []
        assert "Zebrafish heart Bcc: victim@" in message.subject


def test_a_title_typed_with_line_breaks_reaches_the_curators_on_one_line(
    researcher: User,
    curator: User,
    facility_admin: User,
    facility: factories.Facility,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    api = client_for(researcher)
    created = api.post(
        "/api/v1/submissions/",
        {
            "title": "Working title",
            "facility": facility.slug,
            "metadata": factories.complete_rembi(),
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    submission = Submission.objects.get(pk=created.json()["id"])
    metadata = dict(submission.metadata)
    metadata["study"] = {**metadata["study"], "title": INJECTION}
    updated = api.patch(
        f"/api/v1/submissions/{submission.pk}/", {"metadata": metadata}, format="json"
    )
    assert updated.status_code == 200, updated.content
    factories.DataFileFactory(submission=submission, status=FileStatus.INSPECTED)

    _submit_through_the_api(researcher, submission, django_capture_on_commit_callbacks)

    assert submission.title == "Zebrafish heart Bcc: victim@example.org hello"
    _assert_clean_headers([curator, facility_admin])


def test_a_title_stored_before_cleaning_existed_still_gets_its_mail_out(
    researcher: User,
    curator: User,
    facility_admin: User,
    facility: factories.Facility,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    """Rows written before titles were cleaned on save (or by any other path) can still hold a
    newline; the mail service cleans every header value itself."""
    submission = factories.CompleteSubmissionFactory(owner=researcher, facility=facility)
    Submission.objects.filter(pk=submission.pk).update(title=INJECTION)

    _submit_through_the_api(researcher, submission, django_capture_on_commit_callbacks)

    assert "\n" in submission.title  # the stored value was not touched
    _assert_clean_headers([curator, facility_admin])
