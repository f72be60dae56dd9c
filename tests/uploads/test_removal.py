"""A researcher takes a wrongly uploaded file back out of a draft: bytes, preview and quota
are freed, the timeline names what was removed, and nobody else can do it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.test import Client

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission, SubmissionEvent, SubmissionStatus
from submissions.processing.inspection import inspect_data_file
from submissions.quotas.services import ledger as quota
from submissions.uploads.models import DataFile
from tests.conftest import client_for
from tests.processing.conftest import ome_tiff_bytes
from tests.uploads.helpers import upload_whole

pytestmark = pytest.mark.django_db


def staged(datafile_id: str) -> Path:
    return Path(storages["staging"].path(DataFile.objects.get(pk=datafile_id).storage_key))


@pytest.fixture
def uploaded(researcher: User, draft: Submission, commits: Any, tmp_path: Path) -> dict[str, Any]:
    image = ome_tiff_bytes(tmp_path)
    done = upload_whole(client_for(researcher), draft, "wrong.ome.tif", image, commits)
    inspect_data_file(file_id=done["id"])  # a no-op if the verify task already chained it
    return done


def test_removing_a_file_frees_its_bytes_preview_and_quota(
    researcher: User, draft: Submission, uploaded: dict[str, Any], commits: Any
) -> None:
    datafile = DataFile.objects.get(pk=uploaded["id"])
    assert datafile.inspection.get("preview") is True
    path = staged(uploaded["id"])
    preview = Path(storages["staging"].path(f"previews/{draft.pk}/{datafile.pk}.png"))
    assert path.exists()
    assert preview.exists()
    assert datafile.reservation is not None
    used_before = datafile.reservation.settled_bytes

    with commits():
        response = client_for(researcher).delete(f"/api/v1/uploads/{uploaded['id']}/")
    assert response.status_code == 204
    assert not DataFile.objects.filter(pk=uploaded["id"]).exists()
    assert not path.exists()
    assert not preview.exists()
    datafile.reservation.refresh_from_db()
    assert datafile.reservation.deleted_bytes == used_before
    assert quota.ledger_problems() == []
    event = SubmissionEvent.objects.filter(submission=draft, kind="file_removed").get()
    assert event.note.startswith("wrong.ome.tif (SHA-256 ")
    assert event.actor == researcher

    # A second click finds nothing to remove and changes nothing.
    again = client_for(researcher).delete(f"/api/v1/uploads/{uploaded['id']}/")
    assert again.status_code == 404


def test_the_files_page_removes_with_a_confirmation(
    researcher: User, draft: Submission, uploaded: dict[str, Any], commits: Any
) -> None:
    browser = Client()
    browser.force_login(researcher)
    page = browser.get(f"/submissions/{draft.pk}/files/").content.decode()
    action = f"/submissions/{draft.pk}/files/{uploaded['id']}/remove/"
    assert f'action="{action}"' in page
    assert 'data-confirm="Remove wrong.ome.tif from this submission?' in page
    with commits():
        response = browser.post(action, follow=True)
    assert "wrong.ome.tif was removed" in response.content.decode()
    assert not DataFile.objects.filter(pk=uploaded["id"]).exists()
    twice = browser.post(action, follow=True)
    assert "already been removed" in twice.content.decode()


def test_others_cannot_remove_and_review_freezes_the_files(
    researcher: User, curator: User, outsider: User, draft: Submission, uploaded: dict[str, Any]
) -> None:
    for someone in (curator, outsider):
        assert client_for(someone).delete(f"/api/v1/uploads/{uploaded['id']}/").status_code == 404
        browser = Client()
        browser.force_login(someone)
        posted = browser.post(f"/submissions/{draft.pk}/files/{uploaded['id']}/remove/")
        assert posted.status_code == 404
    Submission.objects.filter(pk=draft.pk).update(status=SubmissionStatus.IN_REVIEW)
    refused = client_for(researcher).delete(f"/api/v1/uploads/{uploaded['id']}/")
    assert refused.status_code == 409
    assert "only while the submission is a draft" in refused.json()["message"]
    assert staged(uploaded["id"]).exists()
    browser = Client()
    browser.force_login(researcher)
    page = browser.get(f"/submissions/{draft.pk}/files/").content.decode()
    assert "The files are frozen while the submission is in review" in page
    assert "/remove/" not in page
