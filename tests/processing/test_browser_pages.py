"""The landing page and the processing page in a real browser (chromium)."""

from __future__ import annotations

from pathlib import Path

import pytest

from submissions.lifecycle.models import SubmissionStatus
from submissions.review import services as review
from tests.browser import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_published_dataset_pages_render_with_thumbnails_and_progress(
    page, live_server, submitted, curator, researcher, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        review.approve(submission=submitted, curator=curator)
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.PUBLISHED
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto(f"{live_server.url}/datasets/{submitted.accession}/")
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == submitted.title
    thumbs = page.locator("img.thumb")
    assert thumbs.count() == 2
    page.wait_for_function(
        "() => [...document.images].every((i) => i.complete && i.naturalWidth > 0)"
    )
    page.screenshot(path=str(ARTIFACTS / "dataset-landing.png"), full_page=True)

    page.context.add_cookies(
        [{"name": "sessionid", "value": _session_for(researcher), "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/submissions/{submitted.pk}/processing/")
    assert page.locator("progress").count() == 3
    page.get_by_text("Provenance").first.click()
    page.screenshot(path=str(ARTIFACTS / "processing-progress.png"), full_page=True)
    assert Path(ARTIFACTS / "processing-progress.png").stat().st_size > 0


def _session_for(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value
