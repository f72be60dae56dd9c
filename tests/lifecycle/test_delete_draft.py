"""“Delete draft” deletes the draft with its files after one confirmation that says how many
files and bytes go (issue 12 §6): staged objects, previews and quota are all given back.

Files arrive through the upload API. The browser test drives Chromium through the detail
page, the confirmation and the dashboard, and keeps screenshots in test-results/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages

from submissions.accounts.models import User
from submissions.core.errors import InvalidTransition
from submissions.core.units import format_bytes
from submissions.lifecycle import services
from submissions.lifecycle.models import Submission
from submissions.quotas.models import QuotaAccount, QuotaReservation
from submissions.uploads.models import DataFile, FileStatus
from submissions.uploads.services import drafts
from tests.browser import ARTIFACTS, login
from tests.conftest import client_for
from tests.processing.conftest import ome_tiff_bytes
from tests.uploads.helpers import create, upload_whole

PASSWORD = "correct horse battery"


def staged(key: str) -> Path:
    return Path(storages["staging"].path(key))


def usage(submission: Submission) -> set[tuple[int, int]]:
    """(used, held) of the facility, group and user staging accounts."""
    accounts = QuotaAccount.objects.filter(facility=submission.facility, area="staging")
    return {(a.used_bytes, a.held_bytes) for a in accounts}


def draft_with_files(researcher: User, commits: Any, tmp_path: Path) -> Submission:
    """Two uploaded images (inspected, with previews) and one upload still under way."""
    facility = researcher.memberships.get().facility
    draft = services.create_submission(user=researcher, facility=facility, title="Pilot run")
    api = client_for(researcher)
    for seed in (1, 2):
        upload_whole(
            api, draft, f"pilot_{seed}.ome.tif", ome_tiff_bytes(tmp_path, seed=seed), commits
        )
    assert create(api, draft, "unfinished.ome.tif", b"\0" * 200_000).status_code == 201
    return draft


@pytest.fixture
def commits(django_capture_on_commit_callbacks: Any) -> Any:
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.mark.django_db
def test_deleting_a_draft_frees_its_files_bytes_and_quota(
    researcher: User, commits: Any, tmp_path: Path
) -> None:
    draft = draft_with_files(researcher, commits, tmp_path)
    files = list(draft.files.all())
    stored = [f for f in files if f.status == FileStatus.INSPECTED]
    assert len(stored) == 2
    assert all(staged(f.storage_key).is_file() for f in stored)
    previews = [staged(f"previews/{draft.pk}/{f.pk}.png") for f in stored]
    assert all(p.is_file() for p in previews)
    total = sum(f.size for f in files)
    assert drafts.draft_contents(submission=draft) == drafts.DraftContents(3, total)
    assert usage(draft) == {(sum(f.size for f in stored), 200_000)}

    with commits():
        gone = drafts.delete_draft(submission=draft, user=researcher)

    assert gone.sentence() == f"Its 3 files ({format_bytes(total)}) will be deleted too."
    assert not Submission.objects.filter(pk=draft.pk).exists()
    assert not DataFile.objects.filter(pk__in=[f.pk for f in files]).exists()
    assert not any(staged(f.storage_key).exists() for f in files)
    assert not any(p.exists() for p in previews)
    assert usage(draft) == {(0, 0)}
    states = sorted(
        QuotaReservation.objects.filter(user=researcher).values_list("state", flat=True)
    )
    assert states == ["released", "settled", "settled"]


@pytest.mark.django_db
def test_only_its_owner_deletes_only_a_draft(
    researcher: User, outsider: User, commits: Any, tmp_path: Path
) -> None:
    draft = draft_with_files(researcher, commits, tmp_path)
    assert client_for(outsider).delete(f"/api/v1/submissions/{draft.pk}/").status_code == 404
    draft.status = "submitted"
    draft.save()
    with pytest.raises(InvalidTransition):
        drafts.delete_draft(submission=draft, user=researcher)
    assert draft.files.count() == 3


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_delete_draft_in_the_browser_asks_once_and_says_what_goes(  # type: ignore[no-untyped-def]
    live_server, page, researcher: User, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    commits = lambda: django_capture_on_commit_callbacks(execute=True)  # noqa: E731
    draft = draft_with_files(researcher, commits, tmp_path)
    keys = list(draft.files.values_list("storage_key", flat=True))
    total = sum(draft.files.values_list("size", flat=True))
    login(page, live_server.url, researcher.email, PASSWORD)
    page.goto(f"{live_server.url}/submissions/{draft.pk}/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "delete-draft-0-detail.png"), full_page=True)
    problems = page.locator(".problem-list").inner_text()
    assert "“unfinished.ome.tif” is still uploading." in problems
    assert "files:" not in problems.lower().replace("files: “", "")  # no bare codes
    actions = page.get_by_role("group", name="Actions")
    assert actions.get_by_role("link", name="Withdraw").count() == 0  # a draft is deleted
    actions.get_by_role("link", name="Delete draft").click()

    page.get_by_role("heading", name="Delete this draft?").wait_for()
    page.screenshot(path=str(ARTIFACTS / "delete-draft-1-confirm.png"), full_page=True)
    text = page.locator("main").inner_text()
    assert f"Its 3 files ({format_bytes(total)}) will be deleted too." in text
    page.get_by_role("button", name="Yes, delete the draft and its 3 files").click()

    page.get_by_text("“Pilot run” with its 3 files was deleted.").wait_for()
    page.screenshot(path=str(ARTIFACTS / "delete-draft-2-done.png"), full_page=True)
    assert not Submission.objects.filter(pk=draft.pk).exists()
    assert not any(staged(key).exists() for key in keys)
    assert usage(draft) == {(0, 0)}
