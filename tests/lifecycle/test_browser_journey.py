"""The whole journey in one real browser session, from a fresh database: a researcher describes
a dataset and uploads good and bad files, a curator requests a change, the researcher fixes
it, the curator approves, the dataset is published, and a facility admin lowers a quota.

On every page it visits the test checks what a person would notice: the status shown is the
true one, nothing typed was lost, and no developer-only wording appears (dotted paths such as
`study.authors.0.orcid`, internal keys such as `biosample-591f67`, raw codes such as
`changes_requested` or `image/tiff`). Each step leaves a screenshot in test-results/
(journey-NN-*.png). Celery runs eagerly here, so approving converts and publishes at once
with the built-in converter (bioformats2raw is not installed in the tests).
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile
from django.core import mail

from submissions.accounts.models import Role
from submissions.core.units import format_bytes
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.quotas.models import QuotaAccount
from submissions.uploads.models import DataFile, FileStatus
from tests import factories
from tests.browser import ARTIFACTS, login
from tests.uploads.uploader import UploaderPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"
DEVELOPER_WORDS = re.compile(
    r"\b(study|biosamples|specimens|acquisitions|components|annotations|correlation|analysis)"
    r"\.[a-z0-9_]"
    r"|\b(biosample|specimen|acquisition)-[0-9a-f]{6}\b"
    r"|\b(changes_requested|in_review|processing_failed|quota_exceeded|invalid_transition)\b"
    r"|\b(application|image|text)/[a-z][\w.+-]*"
    r"|\bvalue\(s\)|Nothing was saved|\bundefined\b|\bNaN\b|\{\{|\{%|Traceback"
    r"|(?<![\w.])None(?! yet)\b"
)


class Journey:
    """Looks at each page as a person would, and keeps a screenshot of it."""

    def __init__(self) -> None:
        self.step = 0
        ARTIFACTS.mkdir(exist_ok=True)

    def look(self, page: Any, name: str, submission: Submission | None = None) -> str:
        self.step += 1
        page.wait_for_load_state("load")
        text = str(page.locator("body").inner_text())
        found = DEVELOPER_WORDS.search(text)
        assert found is None, f"{name}: developer wording {found.group(0)!r} on {page.url}"
        if submission is not None:
            submission.refresh_from_db()
            shown = page.locator(".page-head .badge")
            if shown.count():
                assert shown.first.inner_text() == submission.get_status_display(), name
        page.screenshot(
            path=str(Path(ARTIFACTS) / f"journey-{self.step:02d}-{name}.png"), full_page=True
        )
        return text


def ome_tiff(path: Path) -> Path:
    data = np.random.default_rng(7).integers(0, 4000, size=(1, 2, 3, 64, 80), dtype=np.uint16)
    tifffile.imwrite(
        path,
        data,
        ome=True,
        photometric="minisblack",
        metadata={"axes": "TCZYX", "PhysicalSizeX": 0.2, "PhysicalSizeY": 0.2},
    )
    return path


def link_in(message: Any, pattern: str) -> str:
    found = re.search(pattern, message.body)
    assert found, message.body
    return found.group(0)


def wait_saved(page: Any) -> str:
    page.wait_for_function(
        "() => ['saved', 'held'].includes(document.getElementById('save-status').dataset.state)"
    )
    return str(page.locator("#save-status").inner_text())


def add(page: Any, what: str, first_field: str) -> None:
    page.get_by_role("button", name=f"+ Add {what}").click()
    page.locator(first_field).wait_for()


@pytest.mark.timeout(600)
def test_the_whole_journey_tells_the_truth_on_every_page(  # type: ignore[no-untyped-def]
    live_server, browser, tmp_path: Path, settings
) -> None:
    settings.SITE_URL = live_server.url
    journey = Journey()
    facility = factories.FacilityFactory(name="Light Microscopy Facility", slug="lmf")
    lab = factories.GroupFactory(facility=facility, name="Cell Biology Lab")
    researcher = factories.member(facility=facility, role=Role.RESEARCHER, group=lab)
    curator = factories.member(facility=facility, role=Role.CURATOR)
    admin = factories.member(facility=facility, role=Role.FACILITY_ADMIN)
    factories.quota(facility=facility, soft=None, hard=10**9)

    # --- The researcher describes the dataset --------------------------------------------
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # confirmations, and leaving the editor
    login(page, live_server.url, researcher.email, PASSWORD)
    page.get_by_role("heading", name="My submissions").wait_for()
    journey.look(page, "dashboard-empty")
    page.get_by_role("link", name="New submission").click()
    page.get_by_label("Working title").fill("Mitochondria under stress")
    page.get_by_role("button", name="Create draft").click()
    page.get_by_role("heading", name="Describe your dataset").wait_for()
    submission = Submission.objects.get()

    page.locator("#f-study-title").fill("Mitochondrial dynamics in HeLa cells under stress")
    page.locator("#f-study-authors-0-orcid").fill("0000-0002-1825")  # too short, fixed later
    page.locator("#f-study-description").fill(
        "Spinning disk time-lapse of mitochondria in HeLa cells treated with H2O2."
    )
    page.locator("#f-study-keywords").fill("mitochondria, live imaging")
    page.locator("#f-study-licence").select_option(label="CC BY 4.0")
    release = datetime.date.today() + datetime.timedelta(days=90)
    page.locator("#f-study-release_date").fill(release.isoformat())
    page.locator("#f-study-authors-0-affiliation-name").fill("Demo University")
    line = wait_saved(page)
    assert "One value needs correcting and is kept as you typed it" in line
    journey.look(page, "editor-held-value", submission)

    add(page, "biosample", "#f-biosamples-0-title")
    page.locator("#f-biosamples-0-title").fill("HeLa cells")
    page.locator("#f-biosamples-0-organism-scientific_name").fill("Homo sapiens")
    page.locator("#f-biosamples-0-biological_entity").fill("HeLa cell line")
    add(page, "specimen", "#f-specimens-0-title")
    page.locator("#f-specimens-0-title").fill("Live cells on glass")
    page.locator("#f-specimens-0-sample_preparation").fill("Seeded on glass-bottom dishes.")
    add(page, "image acquisition", "#f-acquisitions-0-title")
    page.locator("#f-acquisitions-0-title").fill("Spinning disk time-lapse")
    page.locator("#f-acquisitions-0-imaging_method-name").fill("spinning disk confocal microscopy")
    page.locator("#f-acquisitions-0-instrument").fill("Nikon Ti2, Yokogawa CSU-W1")
    page.locator("#f-acquisitions-0-parameters").fill("60x oil, 488 nm, 100 ms, every 2 s")
    add(page, "study component", "#f-components-0-name")
    page.locator("#f-components-0-name").fill("Time-lapse")
    page.locator("#f-components-0-description").fill("Treated and control cells, 30 minutes.")
    page.locator("#f-components-0-biosample").select_option(label="HeLa cells")
    page.locator("#f-components-0-specimen").select_option(label="Live cells on glass")
    page.locator("#f-components-0-acquisition").select_option(label="Spinning disk time-lapse")
    page.locator("#f-study-authors-0-orcid").fill("0000-0002-1825-0097")
    page.locator("#f-study-authors-0-orcid").press("Tab")
    assert wait_saved(page).startswith("All changes saved")
    journey.look(page, "editor-complete", submission)
    submission.refresh_from_db()
    assert submission.draft_values == {}
    assert submission.metadata["study"]["authors"][0]["orcid"] == "0000-0002-1825-0097"
    assert submission.metadata["study"]["keywords"] == ["mitochondria", "live imaging"]

    page.get_by_role("button", name="Save and review").click()
    page.get_by_text("Description saved.").wait_for()
    text = journey.look(page, "hub-needs-files", submission)
    assert "Still needed before you can submit (1)" in text
    assert "Everything needed is there" not in text
    assert page.get_by_role("link", name="Withdraw").count() == 0

    # --- Good and bad files ----------------------------------------------------------------
    good = ome_tiff(tmp_path / "hela_timelapse_t000.ome.tif")
    bad = tmp_path / "broken_stack.ome.tif"
    bad.write_bytes(b"II*\x00" + bytes(range(256)) * 40)  # a TIFF header over nothing
    page.get_by_role("link", name=re.compile(r"^Files \(0\)")).click()
    page.get_by_role("heading", name="Files", exact=True).wait_for()
    uploader = UploaderPage(page, live_server.url, submission)
    uploader.add(good, bad)
    # Sizes and the total are known before a byte moves.
    total = good.stat().st_size + bad.stat().st_size
    assert uploader.row(good.name).size == format_bytes(good.stat().st_size)
    assert uploader.progress_text() == f"0 B of {format_bytes(total)} · 2 files ready"
    uploader.start("Upload 2 files")
    uploader.wait_settled(2)
    table = page.locator("#file-table")
    table.get_by_text("Inspected", exact=True).wait_for(timeout=60_000)
    table.get_by_text("Failed", exact=True).wait_for(timeout=60_000)
    files = {f.name: f for f in DataFile.objects.filter(submission=submission)}
    assert files["hela_timelapse_t000.ome.tif"].status == FileStatus.INSPECTED
    assert files["broken_stack.ome.tif"].status == FileStatus.FAILED
    # The uploader tells the same story as the table: no green tick for the broken file.
    uploader.assert_true_to(submission)
    assert uploader.row("hela_timelapse_t000.ome.tif").state == "Verified"
    assert uploader.row("broken_stack.ome.tif").state == "Failed"
    assert uploader.summary() == "1 verified, 1 failed. Retry or remove the failed file."
    assert f"broken_stack.ome.tif: failed. {files['broken_stack.ome.tif'].failure_message}" in (
        uploader.log()
    )
    text = journey.look(page, "files-good-and-bad", submission)
    assert "Upload complete" not in text
    assert files["broken_stack.ome.tif"].failure_message.split(".")[0] in text
    page.get_by_role("list", name="Files in this upload").get_by_role(
        "button", name="Remove broken_stack.ome.tif"
    ).click()
    uploader.wait_state("broken_stack.ome.tif", "Removed")
    table.get_by_role("cell", name="broken_stack.ome.tif", exact=True).wait_for(state="detached")
    uploader.assert_true_to(submission)
    assert uploader.summary() == "Upload complete: 1 verified, 1 removed."
    journey.look(page, "files-bad-removed", submission)

    # --- Submit ----------------------------------------------------------------------------
    page.goto(f"{live_server.url}/submissions/{submission.pk}/")
    text = journey.look(page, "hub-ready", submission)
    assert "Everything needed is there" in text
    page.get_by_role("link", name="Submit for review").click()
    page.get_by_role("button", name="Yes, submit for review").click()
    page.get_by_text("Submitted for review").wait_for()
    journey.look(page, "hub-submitted", submission)
    assert submission.status == SubmissionStatus.SUBMITTED

    # --- The curator asks for a change -----------------------------------------------------
    desk_context = browser.new_context(viewport={"width": 1366, "height": 768})
    desk = desk_context.new_page()
    login(desk, live_server.url, curator.email, PASSWORD)
    desk.get_by_role("link", name="Review queue").first.click()
    desk.get_by_role("heading", name=re.compile("Review queue")).wait_for()
    journey.look(desk, "queue")
    desk.get_by_role("link", name="Mitochondrial dynamics in HeLa cells under stress").click()
    desk.get_by_role("button", name="Claim this review").click()
    desk.get_by_text("You are reviewing this submission.").wait_for()
    text = journey.look(desk, "review-claimed", submission)
    assert "HeLa cells" in desk.locator("#field-components-0").inner_text()
    desk.locator("#field-study-keywords").get_by_role("link", name="Request a change").click()
    desk.get_by_label("Message to the researcher").fill("Nearly there; one thing to add.")
    desk.locator("#id_points-0-message").fill("Add a keyword naming the stress (H2O2).")
    journey.look(desk, "review-request-form", submission)
    desk.get_by_role("button", name="Send change request").click()
    desk.get_by_text("Changes requested. The researcher is told by e-mail.").wait_for()
    journey.look(desk, "review-changes-requested", submission)
    asked = mail.outbox[-1]
    assert asked.to == [researcher.email]
    assert "Study \u203a Keywords: Add a keyword naming the stress (H2O2)." in asked.body
    assert DEVELOPER_WORDS.search(asked.body) is None

    # --- The researcher fixes it where it is asked ----------------------------------------
    page.goto(link_in(asked, r"https?://\S+/submissions/\S+/review/"))
    page.get_by_role("heading", name="Changes requested").first.wait_for()
    journey.look(page, "review-researcher", submission)
    page.locator("#answer").get_by_role("link", name="Study \u203a Keywords").click()
    page.wait_for_url(re.compile(r"/edit/#f-study-keywords$"))
    keywords = page.locator("#f-study-keywords")
    field = page.locator(".field", has=keywords)
    assert "Curator asks: Add a keyword naming the stress (H2O2)." in field.inner_text()
    keywords.fill("mitochondria, live imaging, oxidative stress")
    assert wait_saved(page).startswith("All changes saved")
    journey.look(page, "editor-fixing", submission)
    page.goto(f"{live_server.url}/submissions/{submission.pk}/")
    page.get_by_role("link", name="Resubmit for review").click()
    page.get_by_role("button", name="Yes, submit for review").click()
    page.get_by_text("Submitted for review").wait_for()
    journey.look(page, "hub-resubmitted", submission)

    # --- The curator sees what changed and approves; the dataset is published --------------
    desk.goto(f"{live_server.url}/submissions/{submission.pk}/review/")
    diff = desk.locator("#diff")
    diff.wait_for()
    assert "Study \u203a Keywords" in diff.inner_text()
    assert "oxidative stress" in diff.inner_text()
    journey.look(desk, "review-diff", submission)
    desk.locator("summary", has_text="Approve").click()
    desk.get_by_label("Note to the researcher (optional)").fill("Thank you!")
    desk.get_by_role("button", name="Approve", exact=True).click()
    desk.get_by_text("Approved. The researcher is told by e-mail.").wait_for(timeout=120_000)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.PUBLISHED, submission.status
    journey.look(desk, "review-after-approval", submission)
    desk_context.close()

    published = next(m for m in mail.outbox if m.subject.startswith("Published"))
    landing = link_in(published, r"https?://\S+/datasets/[A-Z]+-\d+/")
    assert landing == f"{live_server.url}/datasets/{submission.accession}/"
    page.goto(f"{live_server.url}/submissions/{submission.pk}/")
    journey.look(page, "hub-published", submission)
    page.get_by_role("link", name=f"Published dataset {submission.accession}").click()
    page.get_by_role("heading", name=submission.title).wait_for()
    journey.look(page, "landing")
    context.close()

    # --- The facility admin lowers a quota ---------------------------------------------------
    admin_context = browser.new_context(viewport={"width": 1366, "height": 900})
    office = admin_context.new_page()
    login(office, live_server.url, admin.email, PASSWORD)
    office.get_by_role("link", name="Facility").click()
    office.get_by_role("link", name="Quotas").click()
    journey.look(office, "quotas")
    # Publishing freed the staged upload and counted the dataset in the archive.
    hard = office.get_by_label(f"Hard limit, user {researcher.display_name}, archive")
    hard.fill("50 kB")  # below what the researcher's published dataset holds
    office.get_by_role("button", name=f"Save limits of {researcher.display_name}, archive").click()
    office.get_by_text(f"Saved the limits of {researcher.display_name}.").wait_for()
    journey.look(office, "quotas-lowered")
    account = QuotaAccount.objects.get(user=researcher, area="archive")
    assert account.hard_limit == 50_000
    assert QuotaAccount.objects.get(user=researcher, area="staging").used_bytes == 0
    admin_context.close()

    # The researcher's storage page says where they stand, in the same units as the files.
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    login(page, live_server.url, researcher.email, PASSWORD)
    page.get_by_role("link", name="My storage").click()
    page.get_by_role("heading", name="My storage").wait_for()
    text = journey.look(page, "my-storage")
    archived = QuotaAccount.objects.get(user=researcher, area="archive").used_bytes
    assert archived > DataFile.objects.get(submission=submission).size
    assert f"{format_bytes(archived)} of 50.0 kB" in text
    # The limit was lowered below what is stored: the meter says by how much, not just "full".
    over = format_bytes(archived - 50_000)
    assert f"Over the limit by {over}: no room left for new datasets" in text
    context.close()
