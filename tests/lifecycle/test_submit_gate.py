"""Submitting needs every file verified and inspected (issue 11 §3): a failed file or one
still in flight stops it, and the refusal names each file and its state in sentences, in the
API and on the pages. The files arrive through the upload API, as a client sends them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from submissions.accounts.models import User
from submissions.lifecycle import services
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.uploads.models import DataFile, FileStatus
from tests.browser import ARTIFACTS, login
from tests.conftest import client_for, signed_in
from tests.processing.conftest import ome_tiff_bytes
from tests.processing.test_format_claims import HTML
from tests.rembi_documents import complete_rembi
from tests.uploads.helpers import create, upload_whole

pytestmark = pytest.mark.django_db
BASE = "/api/v1/submissions/"
FAILED = (
    "“figure.ome.tif” failed: its name says OME-TIFF, but its contents are an HTML web page, "
    "not OME-TIFF."
)
IN_FLIGHT = "“big_stack.ome.tif” is still uploading. Wait until it finishes, or remove it."


@pytest.fixture
def commits(django_capture_on_commit_callbacks: Any) -> Any:
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def described(researcher: User) -> Submission:
    facility = researcher.memberships.get().facility
    return services.create_submission(
        user=researcher, facility=facility, title="t", metadata=complete_rembi()
    )


@pytest.fixture
def mixed(described: Submission, researcher: User, commits: Any, tmp_path: Path) -> Submission:
    """One good image, one HTML page saved as .ome.tif, one upload still under way."""
    api = client_for(researcher)
    upload_whole(api, described, "cells.ome.tif", ome_tiff_bytes(tmp_path), commits)
    upload_whole(api, described, "figure.ome.tif", HTML, commits)
    assert create(api, described, "big_stack.ome.tif", b"\0" * 300_000).status_code == 201
    statuses = dict(described.files.values_list("name", "status"))
    assert statuses == {
        "cells.ome.tif": FileStatus.INSPECTED,
        "figure.ome.tif": FileStatus.FAILED,
        "big_stack.ome.tif": FileStatus.UPLOADING,
    }
    return described


def test_problems_never_say_ready_while_a_file_failed_or_is_in_flight(
    mixed: Submission, researcher: User
) -> None:
    answer = client_for(researcher).get(f"{BASE}{mixed.pk}/problems/").json()
    assert answer["ready"] is False
    (in_flight, failed) = sorted(answer["problems"]["files"])
    assert failed.startswith(FAILED)
    assert failed.endswith("Remove it before you submit.")
    assert in_flight == IN_FLIGHT


def test_submitting_is_refused_with_each_file_named(mixed: Submission, researcher: User) -> None:
    refused = client_for(researcher).post(f"{BASE}{mixed.pk}/submit/")
    assert refused.status_code == 400
    body = refused.json()
    assert body["message"].startswith("This submission cannot be submitted yet. “")
    assert FAILED in body["message"]
    assert IN_FLIGHT in body["message"]
    assert set(body["fields"]) == {"files"}
    mixed.refresh_from_db()
    assert mixed.status == SubmissionStatus.DRAFT


def test_the_pages_list_each_file_and_never_say_everything_is_there(
    mixed: Submission, researcher: User
) -> None:
    browser = signed_in(researcher)
    detail = browser.get(f"/submissions/{mixed.pk}/").content.decode()
    assert "Everything needed is there" not in detail
    assert "Still needed before you can submit (2)" in detail
    refused = browser.post(f"/submissions/{mixed.pk}/submit/")
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Not ready to submit yet" in page
    assert "2 things must be done first." in page
    assert FAILED in page
    assert IN_FLIGHT in page
    assert "Go to the files" in page


def test_a_file_being_inspected_also_waits(described: Submission) -> None:
    DataFile.objects.create(
        submission=described,
        name="slow.czi",
        storage_key=f"uploads/{described.pk}/slow",
        size=10,
        status=FileStatus.VERIFIED,
    )
    problems = services.submission_problems(submission=described)
    assert problems == {
        "files": ["“slow.czi” is still being inspected. Wait a moment, then try again."]
    }


def test_once_the_bad_files_are_gone_it_submits(
    mixed: Submission, researcher: User, commits: Any
) -> None:
    api = client_for(researcher)
    for data_file in mixed.files.exclude(status=FileStatus.INSPECTED):
        with commits():
            assert api.delete(f"/api/v1/uploads/{data_file.pk}/").status_code in (200, 204)
    assert api.get(f"{BASE}{mixed.pk}/problems/").json() == {"ready": True, "problems": {}}
    assert api.post(f"{BASE}{mixed.pk}/submit/").status_code == 200


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_refusal_in_the_browser_names_each_file(  # type: ignore[no-untyped-def]
    live_server, page, researcher: User, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    described = services.create_submission(
        user=researcher,
        facility=researcher.memberships.get().facility,
        title="t",
        metadata=complete_rembi(),
    )
    commits = lambda: django_capture_on_commit_callbacks(execute=True)  # noqa: E731
    api = client_for(researcher)
    upload_whole(api, described, "cells.ome.tif", ome_tiff_bytes(tmp_path), commits)
    upload_whole(api, described, "figure.ome.tif", HTML, commits)
    create(api, described, "big_stack.ome.tif", b"\0" * 300_000)
    login(page, live_server.url, researcher.email, "correct horse battery")
    page.goto(f"{live_server.url}/submissions/{described.pk}/")
    page.get_by_role("link", name="Submit for review").click()
    summary = page.get_by_role("alert")
    summary.get_by_role("heading", name="Not ready to submit yet").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "submit-refused-files.png"), full_page=True)
    text = summary.inner_text()
    assert FAILED in text
    assert IN_FLIGHT in text
    assert page.get_by_role("button", name="Yes, submit for review").count() == 0
    page.get_by_role("link", name="Go to the files").click()
    page.wait_for_url(f"**/submissions/{described.pk}/files/")
