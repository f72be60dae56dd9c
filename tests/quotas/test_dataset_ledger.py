"""Every byte counted (issue 11 §2): a published dataset's archive bytes count at user, group
and facility level exactly as stored; its staging copies are freed unless the facility keeps
them; archive limits refuse approval with a reason; and after a full cycle (upload, publish,
delete a draft) the ledger equals what the storages hold.

Files arrive through the upload API and are converted by the real built-in converter (Celery
runs eagerly in-process); nothing is mocked. Each test gets its own storage folders, so sizes
read from disk belong to this test alone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from submissions.accounts.models import Facility, User
from submissions.core.errors import QuotaExceeded
from submissions.core.units import format_bytes
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.models import ConversionJob
from submissions.quotas.models import QuotaAccount, QuotaReservation, QuotaScope
from submissions.quotas.services import ledger, reconcile
from submissions.review import services as review
from submissions.uploads.models import DataFile, FileStatus
from submissions.uploads.services import drafts
from tests import factories
from tests.browser import ARTIFACTS, login
from tests.conftest import client_for, signed_in
from tests.processing.conftest import ome_tiff_bytes
from tests.rembi_documents import complete_rembi
from tests.uploads.helpers import upload_whole

pytestmark = pytest.mark.django_db

CSV = b"cell,area_um2\n1,12.5\n2,14.25\n"


@pytest.fixture
def commits(django_capture_on_commit_callbacks: Any) -> Any:
    """`with commits(): ...` runs what the block scheduled with transaction.on_commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def folders(settings: Any, tmp_path: Path) -> dict[str, Path]:
    """Staging and archive folders of this test alone."""
    storages = dict(settings.STORAGES)
    found = {}
    for name in ("staging", "archive"):
        root = tmp_path / name
        storages[name] = {**storages[name], "OPTIONS": {"location": root}}
        found[name] = root
    settings.STORAGES = storages
    return found


def on_disk(root: Path, prefix: str = "") -> dict[str, int]:
    """Every file under `root/prefix`, read with the OS (not with Aperture's storage code)."""
    base = root / prefix
    sizes = {}
    for directory, _dirs, names in os.walk(base):
        for name in names:
            path = Path(directory) / name
            sizes[path.relative_to(root).as_posix()] = path.stat().st_size
    return sizes


def aged(path: Path, hours: float = 2) -> None:
    """Make an object look `hours` old (a fresh orphan may be an upload being created)."""
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def accounts(facility: Facility, area: str) -> dict[str, QuotaAccount]:
    return {a.scope: a for a in QuotaAccount.objects.filter(facility=facility, area=area)}


def new_draft(researcher: User, title: str) -> Submission:
    facility = researcher.memberships.get().facility
    return lifecycle.create_submission(
        user=researcher, facility=facility, title=title, metadata=complete_rembi(title=title)
    )


def upload(researcher: User, draft: Submission, name: str, data: bytes, commits: Any) -> DataFile:
    """Upload through the API; verification and inspection run as they do after commit."""
    done = upload_whole(client_for(researcher), draft, name, data, commits)
    data_file = DataFile.objects.get(pk=done["id"])
    assert data_file.status == FileStatus.INSPECTED, data_file.failure_message
    return data_file


def publish(submission: Submission, researcher: User, curator: User, commits: Any) -> None:
    review.submit(submission=submission, user=researcher)
    with commits():
        review.approve(submission=submission, curator=curator)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PUBLISHED


@pytest.fixture
def dataset(
    researcher: User, tmp_path: Path, commits: Any, folders: dict[str, Path]
) -> Callable[[], Submission]:
    def make() -> Submission:
        draft = new_draft(researcher, "HeLa mitochondria under oxidative stress")
        upload(researcher, draft, "cells.ome.tif", ome_tiff_bytes(tmp_path, seed=3), commits)
        upload(researcher, draft, "areas.csv", CSV, commits)
        return draft

    return make


def test_publishing_counts_the_archive_as_stored_and_frees_staging(
    dataset: Callable[[], Submission],
    researcher: User,
    curator: User,
    commits: Any,
    folders: dict[str, Path],
) -> None:
    submission = dataset()
    facility = submission.facility
    files = list(submission.files.all())
    uploaded = sum(f.size for f in files)
    staging = accounts(facility, "staging")
    assert {scope: a.used_bytes for scope, a in staging.items()} == {
        "facility": uploaded,
        "group": uploaded,
        "user": uploaded,
    }

    publish(submission, researcher, curator, commits)

    stored = on_disk(folders["archive"], f"datasets/{submission.accession}")
    archived = sum(stored.values())
    # What is archived: each original, each OME-Zarr tree as pushed, thumbnails, manifest and
    # the marker; the usage counts exactly that.
    job = ConversionJob.objects.get(submission=submission)
    originals = sum(size for key, size in stored.items() if key.endswith(".original"))
    zarr = sum(size for key, size in stored.items() if ".ome.zarr/" in key)
    assert originals == uploaded
    assert zarr == job.output_bytes > 0
    assert archived > uploaded + job.output_bytes
    archive = accounts(facility, "archive")
    assert {scope: (a.used_bytes, a.held_bytes) for scope, a in archive.items()} == {
        "facility": (archived, 0),
        "group": (archived, 0),
        "user": (archived, 0),
    }
    # Staging: the uploads are gone from the folder and from the ledger, at every level.
    assert on_disk(folders["staging"], "uploads") == {}
    staging = accounts(facility, "staging")
    assert {scope: (a.used_bytes, a.held_bytes) for scope, a in staging.items()} == {
        "facility": (0, 0),
        "group": (0, 0),
        "user": (0, 0),
    }
    assert ledger.ledger_problems(facility=facility) == []
    # The researcher's usage page says the same.
    page = signed_in(researcher).get("/account/usage/").content.decode()
    assert format_bytes(archived) in page


def test_a_facility_that_keeps_staging_keeps_counting_it(
    dataset: Callable[[], Submission],
    researcher: User,
    curator: User,
    commits: Any,
    folders: dict[str, Path],
) -> None:
    submission = dataset()
    facility = submission.facility
    facility.keep_staging_after_publication = True
    facility.save()
    uploaded = sum(f.size for f in submission.files.all())

    publish(submission, researcher, curator, commits)

    assert sum(on_disk(folders["staging"], "uploads").values()) == uploaded
    assert accounts(facility, "staging")["facility"].used_bytes == uploaded
    archived = sum(on_disk(folders["archive"], "datasets").values())
    assert accounts(facility, "archive")["user"].used_bytes == archived


def test_uploads_stay_when_the_archive_keeps_no_originals(
    dataset: Callable[[], Submission],
    researcher: User,
    curator: User,
    commits: Any,
    folders: dict[str, Path],
    settings: Any,
) -> None:
    settings.ARCHIVE_KEEP_ORIGINALS = False  # the staged uploads are then the only copy
    submission = dataset()
    uploaded = sum(f.size for f in submission.files.all())
    publish(submission, researcher, curator, commits)
    stored = on_disk(folders["archive"], "datasets")
    assert not any(key.endswith(".original") for key in stored)
    assert accounts(submission.facility, "archive")["user"].used_bytes == sum(stored.values())
    assert sum(on_disk(folders["staging"], "uploads").values()) == uploaded
    assert accounts(submission.facility, "staging")["user"].used_bytes == uploaded


def test_the_setting_is_edited_on_the_facility_settings_page(
    facility_admin: User, facility: Facility
) -> None:
    browser = signed_in(facility_admin)
    url = f"/facility/{facility.slug}/settings/"
    assert "Keep uploads in staging after publication" in browser.get(url).content.decode()
    browser.post(url, {"section": "storage", "keep_staging_after_publication": "on"})
    facility.refresh_from_db()
    assert facility.keep_staging_after_publication is True
    # Saving the review rules leaves the storage rule alone, and the other way round.
    browser.post(url, {"allow_self_review": "on"})
    facility.refresh_from_db()
    assert facility.keep_staging_after_publication is True
    assert facility.allow_self_review is True
    browser.post(url, {"section": "storage"})
    facility.refresh_from_db()
    assert facility.keep_staging_after_publication is False
    assert facility.allow_self_review is True


def test_an_archive_limit_refuses_approval_and_says_why(
    dataset: Callable[[], Submission], researcher: User, curator: User, commits: Any
) -> None:
    submission = dataset()
    facility = submission.facility
    factories.quota(facility=facility, hard=10_000, area="archive")
    review.submit(submission=submission, user=researcher)

    with pytest.raises(QuotaExceeded) as refused:
        review.approve(submission=submission, curator=curator)
    message = refused.value.message
    assert message.startswith("Not approved: once converted, this dataset needs about")
    assert f"the archive quota of {facility.name} has 10.0 kB left (limit 10.0 kB)" in message
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED
    assert not QuotaReservation.objects.filter(submission=submission, area="archive").exists()
    assert accounts(facility, "archive")["facility"].held_bytes == 0

    # Through the API: 409 with the same reason.
    answer = client_for(curator).post(f"/api/v1/review/submissions/{submission.pk}/approve/")
    assert answer.status_code == 409
    assert answer.json()["code"] == "quota_exceeded"
    assert answer.json()["message"] == message
    # The curator pressing Approve on the review page reads the same reason.
    page = signed_in(curator).post(
        f"/submissions/{submission.pk}/review/approve/", {"note": ""}, follow=True
    )
    assert "Not approved: once converted, this dataset needs about" in page.content.decode()
    submission.refresh_from_db()
    assert submission.status != SubmissionStatus.APPROVED


def test_approval_holds_the_estimate_until_publication_settles_it(
    dataset: Callable[[], Submission], researcher: User, curator: User
) -> None:
    submission = dataset()
    review.submit(submission=submission, user=researcher)
    review.approve(submission=submission, curator=curator)  # processing not run (no commit)
    held = QuotaReservation.objects.get(submission=submission, area="archive")
    assert held.state == "held"
    assert held.expires_at is None
    assert accounts(submission.facility, "archive")["user"].held_bytes == held.nbytes > 0
    assert ledger.release_expired() == 0


def test_after_a_full_cycle_the_ledger_equals_what_storage_holds(
    dataset: Callable[[], Submission],
    researcher: User,
    curator: User,
    commits: Any,
    folders: dict[str, Path],
    tmp_path: Path,
) -> None:
    published = dataset()
    doomed = new_draft(researcher, "A draft that goes")
    upload(researcher, doomed, "extra.ome.tif", ome_tiff_bytes(tmp_path, seed=9), commits)
    kept = new_draft(researcher, "A draft that stays")
    upload(researcher, kept, "later.ome.tif", ome_tiff_bytes(tmp_path, seed=11), commits)

    publish(published, researcher, curator, commits)
    with commits():
        drafts.delete_draft(submission=doomed, user=researcher)

    facility = published.facility
    staging_on_disk = sum(on_disk(folders["staging"], "uploads").values())
    archive_on_disk = sum(on_disk(folders["archive"], "datasets").values())
    assert staging_on_disk == kept.files.get().size
    assert accounts(facility, "staging")["facility"].used_bytes == staging_on_disk
    assert accounts(facility, "archive")["facility"].used_bytes == archive_on_disk
    for area in ("staging", "archive"):
        assert {a.held_bytes for a in accounts(facility, area).values()} == {0}
    report = reconcile.reconcile(repair=False)
    assert report.lines() == []
    assert report.objects_checked >= 3


def test_reconciliation_repairs_drift_and_records_it(
    dataset: Callable[[], Submission],
    researcher: User,
    curator: User,
    commits: Any,
    folders: dict[str, Path],
    tmp_path: Path,
) -> None:
    published = dataset()
    publish(published, researcher, curator, commits)
    draft = new_draft(researcher, "Still a draft")
    lost = upload(researcher, draft, "lost.ome.tif", ome_tiff_bytes(tmp_path, seed=5), commits)
    facility = published.facility
    # Drift of every kind: a staged file vanished, an orphan appeared, an archive object went,
    # and an account's running total was changed by hand.
    (folders["staging"] / lost.storage_key).unlink()
    orphan = folders["staging"] / "uploads" / str(draft.pk) / "0f1e2d3c-0000-4000-8000-000000000000"
    orphan.write_bytes(b"x" * 5000)
    aged(orphan)
    thumbnail = next((folders["archive"] / "datasets" / published.accession).rglob("*.png"))
    thumbnail.unlink()
    QuotaAccount.objects.filter(facility=facility, scope=QuotaScope.GROUP, area="staging").update(
        used_bytes=123
    )

    dry = reconcile.reconcile(repair=False)
    assert len(dry.drifts) == 4
    assert orphan.exists()  # a dry run changes nothing

    report = reconcile.reconcile(repair=True)
    lines = report.lines()
    assert any(
        f"“lost.ome.tif” ({lost.storage_key}): the ledger counted" in line
        and "storage holds 0 B; the count was corrected." in line
        for line in lines
    ), lines
    assert any("the orphaned object was deleted" in line for line in lines)
    assert any(f"dataset {published.accession}" in line for line in lines)
    assert any("its totals were recomputed from its reservations" in line for line in lines)
    assert not orphan.exists()

    archived = sum(on_disk(folders["archive"], "datasets").values())
    for scope in ("facility", "group", "user"):
        assert accounts(facility, "archive")[scope].used_bytes == archived
        assert accounts(facility, "staging")[scope].used_bytes == 0
    event = facility.audit_events.get(kind="ledger.drift")
    assert event.summary.startswith("The nightly storage check found 4 differences")
    assert len(event.data["differences"]) == 4
    assert reconcile.reconcile(repair=True).drifts == []


def test_the_command_reports_then_repairs(
    researcher: User, commits: Any, folders: dict[str, Path], tmp_path: Path
) -> None:
    from io import StringIO

    from django.core.management import call_command

    draft = new_draft(researcher, "A draft")
    upload(researcher, draft, "a.ome.tif", ome_tiff_bytes(tmp_path, seed=1), commits)
    stray = folders["staging"] / "uploads" / str(draft.pk) / "c0ffee00-0000-4000-8000-000000000000"
    stray.write_bytes(b"y" * 2500)
    aged(stray)
    out = StringIO()
    call_command("reconcile_ledger", "--dry-run", stdout=out)
    assert "found 1 difference between the ledger and storage" in out.getvalue()
    assert "the ledger counted 0 B, storage holds 2.5 kB" in out.getvalue()
    assert stray.exists()
    out = StringIO()
    call_command("reconcile_ledger", stdout=out)
    assert "found and repaired 1 difference" in out.getvalue()
    assert not stray.exists()


def test_a_young_orphan_may_be_an_upload_starting_and_is_left_alone(
    researcher: User, folders: dict[str, Path]
) -> None:
    draft = new_draft(researcher, "A draft")
    young = folders["staging"] / "uploads" / str(draft.pk) / "0a0b0c0d-0000-4000-8000-000000000000"
    young.parent.mkdir(parents=True)
    young.write_bytes(b"z" * 100)
    assert reconcile.reconcile(repair=True).drifts == []
    assert young.exists()
    aged(young)
    assert len(reconcile.reconcile(repair=True).drifts) == 1
    assert not young.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_admin_sets_the_staging_rule_and_reads_the_drift_in_the_audit_log(  # type: ignore[no-untyped-def]
    live_server, page, facility_admin: User, researcher: User, folders: dict[str, Path]
) -> None:
    facility = researcher.memberships.get().facility
    draft = new_draft(researcher, "A draft")
    stray = folders["staging"] / "uploads" / str(draft.pk) / "c0ffee00-0000-4000-8000-00000000abcd"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"y" * 2500)
    aged(stray)
    reconcile.reconcile(repair=True)

    login(page, live_server.url, facility_admin.email, "correct horse battery")
    page.goto(f"{live_server.url}/facility/{facility.slug}/settings/")
    page.get_by_label("Keep uploads in staging after publication").check()
    page.get_by_role("button", name="Save storage settings").click()
    page.get_by_text("The facility's settings were saved.").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ledger-facility-settings.png"), full_page=True)
    facility.refresh_from_db()
    assert facility.keep_staging_after_publication is True

    page.goto(f"{live_server.url}/facility/{facility.slug}/audit/")
    log = page.locator("table").inner_text()
    page.screenshot(path=str(ARTIFACTS / "ledger-audit-log.png"), full_page=True)
    assert "The nightly storage check found 1 difference" in log
    assert "the ledger counted 0 B, storage holds 2.5 kB; the orphaned object was deleted." in log
    assert "Keep uploads in staging after publication: yes" in log
