"""Retention of a rejected or withdrawn submission's uploads: kept (and downloadable) for
TERMINAL_STAGING_RETENTION_DAYS, with the date on the page and in the mail, then deleted by
the beat task with exactly their quota given back, one timeline event, and nothing lost or
freed twice when a run repeats, races another or meets a storage outage.

Files arrive through the upload API into folder storage; Celery runs eagerly.
"""

from __future__ import annotations

import datetime
import uuid
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.storage import storages
from django.core.management import call_command
from django.utils import timezone

from submissions.accounts.models import User
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionEvent, SubmissionStatus
from submissions.quotas.models import QuotaAccount
from submissions.quotas.services import ledger, reconcile
from submissions.review import services as review
from submissions.uploads.models import DataFile, FileStatus, RetentionPurge
from submissions.uploads.services import retention
from submissions.uploads.services.backends import FolderBackend
from tests.browser import ARTIFACTS, login
from tests.conftest import client_for, signed_in
from tests.processing.conftest import ome_tiff_bytes
from tests.uploads.helpers import upload_whole

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_folders(settings: Any, tmp_path: Path) -> None:
    """Folders of this test alone: the reconciliation these tests check lists the whole
    storage, where other tests' objects would otherwise show up as drift."""
    storages = dict(settings.STORAGES)
    for name in ("staging", "archive"):
        storages[name] = {**storages[name], "OPTIONS": {"location": tmp_path / name}}
    settings.STORAGES = storages


PASSWORD = "correct horse battery"
NOTES = b"Plate map and staining protocol.\n" * 300


def staged(key: str) -> Path:
    return Path(storages["staging"].path(key))


def used(submission: Submission) -> set[int]:
    """Used staging bytes of the facility, group and user accounts."""
    accounts = QuotaAccount.objects.filter(facility=submission.facility, area="staging")
    return {a.used_bytes for a in accounts}


def later(days: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=days)


def day(moment: datetime.datetime) -> str:
    return retention.human_date(moment)


@pytest.fixture
def with_files(researcher: User, commits: Any, tmp_path: Path) -> Submission:
    """A submitted submission with an inspected image (with a preview) and a text file."""
    facility = researcher.memberships.get().facility
    submission = lifecycle.create_submission(user=researcher, facility=facility, title="Pilot")
    api = client_for(researcher)
    upload_whole(api, submission, "cells.ome.tif", ome_tiff_bytes(tmp_path, seed=3), commits)
    upload_whole(api, submission, "notes.txt", NOTES, commits)
    lifecycle.transition(submission=submission, to=SubmissionStatus.SUBMITTED, actor=researcher)
    submission.refresh_from_db()
    return submission


@pytest.fixture
def rejected(with_files: Submission, curator: User, commits: Any) -> Submission:
    mail.outbox.clear()
    with commits():
        review.reject(submission=with_files, curator=curator, reason="Out of scope.")
    with_files.refresh_from_db()
    return with_files


def stored_files(submission: Submission) -> list[DataFile]:
    files = list(submission.files.exclude(status=FileStatus.ABORTED))
    assert len(files) == 2
    assert all(f.status == FileStatus.INSPECTED for f in files)
    return files


def test_rejected_uploads_are_kept_until_the_date_then_deleted_with_exactly_their_quota(
    rejected: Submission,
) -> None:
    files = stored_files(rejected)
    total = sum(f.size for f in files)
    preview = staged(f"previews/{rejected.pk}/{files[0].pk}.png")
    before = used(rejected)
    assert all(staged(f.storage_key).is_file() for f in files)

    # Still within the period: nothing happens.
    assert retention.purge_due(now=later(29)) == []
    assert all(staged(f.storage_key).is_file() for f in files)
    assert used(rejected) == before

    results = retention.purge_due(now=later(31))

    assert results == [retention.PurgeResult(str(rejected.pk), 2, total)]
    assert not any(staged(f.storage_key).exists() for f in files)
    assert not preview.exists()
    assert used(rejected) == {u - total for u in before}
    assert ledger.ledger_problems() == []
    assert reconcile.reconcile(repair=False).drifts == []
    assert all(f.purged_at is not None for f in rejected.files.all())
    api = client_for(rejected.owner).get(f"/api/v1/uploads/{files[0].pk}/").json()
    assert api["purged_at"] is not None
    event = SubmissionEvent.objects.get(submission=rejected, kind="files_deleted")
    assert event.note.startswith(
        f"Files deleted on {day(timezone.now())} after the submission was rejected: 2 uploaded"
    )


def test_running_twice_deletes_once_and_writes_one_event(rejected: Submission) -> None:
    before = used(rejected)
    total = sum(f.size for f in stored_files(rejected))
    assert len(retention.purge_due(now=later(31))) == 1
    assert retention.purge_due(now=later(31)) == []
    assert retention.purge_submission(submission_id=str(rejected.pk), now=later(40)) is None
    assert SubmissionEvent.objects.filter(submission=rejected, kind="files_deleted").count() == 1
    assert used(rejected) == {u - total for u in before}
    assert ledger.ledger_problems() == []


def test_a_submission_claimed_by_another_run_is_left_to_it_until_its_claim_lapses(
    rejected: Submission,
) -> None:
    files = stored_files(rejected)
    before = used(rejected)
    RetentionPurge.objects.create(
        submission=rejected, claim_token=uuid.uuid4(), claimed_at=timezone.now()
    )
    assert retention.purge_due(now=later(31)) == []  # the other run has it
    assert all(staged(f.storage_key).is_file() for f in files)
    assert used(rejected) == before
    assert not SubmissionEvent.objects.filter(submission=rejected, kind="files_deleted").exists()

    # Its worker died: after the lease the claim is taken over and the work finished.
    RetentionPurge.objects.filter(submission=rejected).update(
        claimed_at=timezone.now() - retention.CLAIM_LEASE - datetime.timedelta(minutes=1)
    )
    assert len(retention.purge_due(now=later(31))) == 1
    assert not any(staged(f.storage_key).exists() for f in files)
    assert SubmissionEvent.objects.filter(submission=rejected, kind="files_deleted").count() == 1


def test_a_storage_outage_loses_nothing_and_the_next_run_frees_each_byte_once(
    rejected: Submission, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = stored_files(rejected)
    total = sum(f.size for f in files)
    before = used(rejected)
    real_discard = FolderBackend.discard
    calls = []

    def outage_after_one(self: FolderBackend, *, datafile: DataFile) -> None:
        calls.append(datafile.pk)
        if len(calls) > 1:
            raise OSError("storage unavailable")
        real_discard(self, datafile=datafile)

    monkeypatch.setattr(FolderBackend, "discard", outage_after_one)
    assert retention.purge_due(now=later(31)) == []

    # One object went, nothing was recorded: the quota still counts both, the claim is free.
    assert sum(staged(f.storage_key).exists() for f in files) == 1
    assert used(rejected) == before
    assert RetentionPurge.objects.get(submission=rejected).claim_token is None
    assert not SubmissionEvent.objects.filter(submission=rejected, kind="files_deleted").exists()
    assert ledger.ledger_problems() == []

    monkeypatch.setattr(FolderBackend, "discard", real_discard)
    assert len(retention.purge_due(now=later(31))) == 1
    assert not any(staged(f.storage_key).exists() for f in files)
    assert used(rejected) == {u - total for u in before}
    assert ledger.ledger_problems() == []
    assert reconcile.reconcile(repair=False).drifts == []


def test_the_rejection_mail_gives_the_deletion_date(rejected: Submission) -> None:
    deleted_on = day(rejected.status_changed_at + datetime.timedelta(days=30))
    (message,) = [m for m in mail.outbox if rejected.owner.email in m.to]
    assert message.subject.startswith("Not accepted:")
    assert f"Your uploaded files are kept until {deleted_on}, then deleted." in message.body
    assert f"/submissions/{rejected.pk}/files/" in message.body
    html = str(message.alternatives[0][0])  # type: ignore[index]
    assert f"<strong>{deleted_on}</strong>" in html


def test_withdrawing_mails_the_deletion_date(
    with_files: Submission, researcher: User, curator: User, commits: Any, settings: Any
) -> None:
    settings.TERMINAL_STAGING_RETENTION_DAYS = 14
    with commits():
        review.request_changes(submission=with_files, curator=curator, message="Add controls.")
    mail.outbox.clear()
    with commits():
        lifecycle.withdraw(submission=with_files, user=researcher, note="Wrong facility.")
    with_files.refresh_from_db()
    deleted_on = day(with_files.status_changed_at + datetime.timedelta(days=14))
    (message,) = [m for m in mail.outbox if researcher.email in m.to]
    assert message.subject == "Withdrawn: Pilot"
    assert f"Your uploaded files are kept until {deleted_on}, then deleted." in message.body
    assert "Wrong facility." in message.body

    assert len(retention.purge_due(now=later(13))) == 0
    assert len(retention.purge_due(now=later(15))) == 1
    event = SubmissionEvent.objects.get(submission=with_files, kind="files_deleted")
    assert "after the submission was withdrawn" in event.note


def test_the_pages_show_the_date_offer_downloads_until_then_and_the_deletion_after(
    rejected: Submission, researcher: User, outsider: User
) -> None:
    browser = signed_in(researcher)
    notes = rejected.files.get(name="notes.txt")
    deleted_on = day(rejected.status_changed_at + datetime.timedelta(days=30))

    detail = browser.get(f"/submissions/{rejected.pk}/").content.decode()
    assert f"Its uploaded files are kept until {deleted_on}, then deleted" in detail
    files_page = browser.get(f"/submissions/{rejected.pk}/files/").content.decode()
    assert f"kept until {deleted_on}" in files_page
    download = f"/submissions/{rejected.pk}/files/{notes.pk}/download/"
    assert download in files_page
    response = browser.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == NOTES  # type: ignore[attr-defined]
    assert 'attachment; filename="notes.txt"' in response["Content-Disposition"]
    assert signed_in(outsider).get(download).status_code == 404

    retention.purge_due(now=later(31))

    today = day(timezone.now())
    gone = f"Files deleted on {today} after the submission was rejected."
    detail = browser.get(f"/submissions/{rejected.pk}/").content.decode()
    assert gone in detail
    assert "kept until" not in detail
    files_page = browser.get(f"/submissions/{rejected.pk}/files/").content.decode()
    assert gone in files_page
    assert download not in files_page
    assert f"Deleted {today}" in files_page
    response = browser.get(download)
    assert response.status_code == 410
    assert gone in response.content.decode()


def test_submissions_that_did_not_end_keep_their_files(
    with_files: Submission, researcher: User
) -> None:
    assert retention.purge_due(now=later(365)) == []
    assert retention.notice(submission=with_files) is None
    detail = signed_in(researcher).get(f"/submissions/{with_files.pk}/").content.decode()
    assert "retention-notice" not in detail


def test_the_command_lists_what_is_due_and_deletes_it(rejected: Submission) -> None:
    files = stored_files(rejected)
    Submission.objects.filter(pk=rejected.pk).update(
        status_changed_at=timezone.now() - datetime.timedelta(days=31)
    )
    out = StringIO()
    call_command("purge_terminal_uploads", "--dry-run", stdout=out)
    assert f"{rejected.pk} (rejected): 2 files" in out.getvalue()
    assert all(staged(f.storage_key).is_file() for f in files)

    out = StringIO()
    call_command("purge_terminal_uploads", stdout=out)
    assert "Deleted the uploads of 1 submissions." in out.getvalue()
    assert not any(staged(f.storage_key).exists() for f in files)


def test_beat_runs_the_purge_daily() -> None:
    from portal.celery import app

    entry = app.conf.beat_schedule["purge-terminal-uploads"]
    assert entry["task"] == "submissions.uploads.tasks.purge_terminal_uploads"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_files_can_be_downloaded_until_the_date_then_show_as_deleted(  # type: ignore[no-untyped-def]
    live_server,
    page,
    researcher: User,
    curator: User,
    tmp_path: Path,
    django_capture_on_commit_callbacks,
) -> None:
    commits = lambda: django_capture_on_commit_callbacks(execute=True)  # noqa: E731
    facility = researcher.memberships.get().facility
    submission = lifecycle.create_submission(user=researcher, facility=facility, title="Pilot")
    upload_whole(client_for(researcher), submission, "notes.txt", NOTES, commits)
    lifecycle.transition(submission=submission, to=SubmissionStatus.SUBMITTED, actor=researcher)
    with commits():
        review.reject(submission=submission, curator=curator, reason="Out of scope.")
    submission.refresh_from_db()
    deleted_on = day(submission.status_changed_at + datetime.timedelta(days=30))
    ARTIFACTS.mkdir(exist_ok=True)

    login(page, live_server.url, researcher.email, PASSWORD)
    page.goto(f"{live_server.url}/submissions/{submission.pk}/")
    notice = page.locator("#retention-notice")
    assert f"kept until {deleted_on}" in notice.inner_text()
    page.screenshot(path=str(ARTIFACTS / "retention-0-detail.png"), full_page=True)
    notice.get_by_role("link", name="Download them from the files page").click()
    page.get_by_role("heading", name="Files", exact=True).wait_for()
    page.screenshot(path=str(ARTIFACTS / "retention-1-files.png"), full_page=True)
    link = page.get_by_role("link", name="Download notes.txt")
    link.focus()  # reachable by keyboard, named for screen readers
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert Path(download.value.path()).read_bytes() == NOTES

    retention.purge_due(now=later(31))
    page.reload()
    gone = f"Files deleted on {day(timezone.now())} after the submission was rejected."
    assert gone in page.locator("#retention-notice").inner_text()
    assert page.get_by_role("link", name="Download notes.txt").count() == 0
    page.screenshot(path=str(ARTIFACTS / "retention-2-deleted.png"), full_page=True)
    page.goto(f"{live_server.url}/submissions/{submission.pk}/")
    assert gone in page.locator("#retention-notice").inner_text()
    page.screenshot(path=str(ARTIFACTS / "retention-3-detail-deleted.png"), full_page=True)


def test_a_run_killed_between_deleting_and_recording_is_finished_without_double_freeing(
    rejected: Submission,
) -> None:
    """The objects went, the worker died before recording; the nightly reconciliation then
    found them gone and corrected the ledger before the next purge run finished the work."""
    files = stored_files(rejected)
    total = sum(f.size for f in files)
    before = used(rejected)
    for data_file in files:
        staged(data_file.storage_key).unlink()
    RetentionPurge.objects.create(
        submission=rejected,
        claim_token=uuid.uuid4(),
        claimed_at=timezone.now() - retention.CLAIM_LEASE - datetime.timedelta(minutes=1),
    )
    assert len(reconcile.reconcile().drifts) == 2  # both counted, neither stored: corrected
    assert used(rejected) == {u - total for u in before}

    (result,) = retention.purge_due(now=later(31))

    assert result.freed_bytes == 0  # reconciliation had already given them back
    assert used(rejected) == {u - total for u in before}
    assert ledger.ledger_problems() == []
    assert reconcile.reconcile(repair=False).drifts == []
    assert SubmissionEvent.objects.filter(submission=rejected, kind="files_deleted").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_delete_and_free_once(
    rejected: Submission, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers run the purge at the same moment: the conditional-update claim lets one
    delete; the other finds it claimed and does nothing."""
    import threading

    from django.db import connection

    files = stored_files(rejected)
    total = sum(f.size for f in files)
    before = used(rejected)
    real_delete = retention._delete_objects
    inside, release = threading.Event(), threading.Event()

    def slow_delete(files: list[DataFile], *, submission_id: str) -> None:
        inside.set()
        assert release.wait(10)
        real_delete(files, submission_id=submission_id)

    monkeypatch.setattr(retention, "_delete_objects", slow_delete)
    results: dict[str, Any] = {}

    def run(name: str) -> None:
        try:
            results[name] = retention.purge_submission(
                submission_id=str(rejected.pk), now=later(31)
            )
        finally:
            connection.close()

    first = threading.Thread(target=run, args=("first",))
    first.start()
    assert inside.wait(10)  # the first run holds the claim and is deleting
    second = threading.Thread(target=run, args=("second",))
    second.start()
    second.join(10)
    release.set()
    first.join(10)

    assert results["second"] is None
    assert results["first"] == retention.PurgeResult(str(rejected.pk), 2, total)
    assert not any(staged(f.storage_key).exists() for f in files)
    assert used(rejected) == {u - total for u in before}
    assert SubmissionEvent.objects.filter(submission=rejected, kind="files_deleted").count() == 1
    assert ledger.ledger_problems() == []
