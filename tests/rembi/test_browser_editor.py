"""A researcher describes a dataset in a real browser, fixes a mistake, submits; a curator
then opens the same page and sees the description and its timeline."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.management import call_command

from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.uploads.models import FileStatus
from tests.browser import ARTIFACTS, login
from tests.factories import DataFileFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(Path(ARTIFACTS) / f"rembi-{name}.png"), full_page=True)


def add(page, what: str, first_field: str) -> None:  # type: ignore[no-untyped-def]
    """Add an item in place: the new item's first field appears and has the focus."""
    page.get_by_role("button", name=f"+ Add {what}").click()
    page.locator(first_field).wait_for()
    page.wait_for_function(f"() => document.activeElement.matches({first_field!r})")


def test_researcher_fills_the_whole_form_fixes_an_error_and_submits(
    live_server, page, browser
) -> None:  # type: ignore[no-untyped-def]
    call_command("seed_demo")
    login(page, live_server.url, "researcher@demo.aperture", "aperture-demo")
    page.get_by_role("link", name="New submission").click()
    page.get_by_label("Working title").fill("Mitochondria under stress")
    page.get_by_role("button", name="Create draft").click()
    page.get_by_role("heading", name="Describe your dataset").wait_for()

    page.locator("#f-study-title").fill(
        "Mitochondrial dynamics in HeLa cells under oxidative stress"
    )
    page.locator("#f-study-description").fill(
        "Live-cell spinning disk time-lapse of mitochondria in HeLa cells treated with H2O2."
    )
    page.locator("#f-study-keywords").fill("mitochondria, live imaging, oxidative stress")
    page.locator("#f-study-licence").select_option(label="CC BY 4.0")
    release = datetime.date.today() + datetime.timedelta(days=120)
    page.locator("#f-study-release_date").fill(release.isoformat())

    # The creator is the first author already; their details are completed here.
    page.locator("#f-study-authors-0-name").fill("Rosalind Researcher")
    page.locator("#f-study-authors-0-email").fill("rosalind@example.org")
    page.locator("#f-study-authors-0-contact").check()
    page.locator("#f-study-authors-0-role").fill("corresponding author")
    page.locator("#f-study-authors-0-orcid").fill("0000-0002-1825-0098")  # wrong check digit
    page.locator("#f-study-authors-0-affiliation-name").fill("Demo University")
    page.get_by_role("button", name="Save draft").click()

    # Everything else is saved; the ORCID iD is kept as typed, with its error at the field.
    page.get_by_role("heading", name="1 value needs correcting").wait_for()
    error = page.locator("#f-study-authors-0-orcid-error")
    assert "check digit" in error.inner_text()
    assert page.locator("#f-study-authors-0-orcid").get_attribute("aria-invalid") == "true"
    assert page.locator("#f-study-authors-0-orcid").input_value() == "0000-0002-1825-0098"
    assert page.locator("#f-study-authors-0-name").input_value() == "Rosalind Researcher"
    assert page.locator("#f-study-keywords").input_value() == (
        "mitochondria, live imaging, oxidative stress"
    )
    shot(page, "editor-error")
    page.locator("#f-study-authors-0-orcid").fill("0000-0002-1825-0097")

    add(page, "biosample", "#f-biosamples-0-title")
    page.locator("#f-biosamples-0-title").fill("HeLa cells")
    page.locator("#f-biosamples-0-organism-scientific_name").fill("Homo sapiens")
    assert page.locator("#f-biosamples-0-organism-taxon_id").input_value() == "9606"
    page.locator("#f-biosamples-0-biological_entity").fill("HeLa cell line")
    page.locator("#f-biosamples-0-experimental_variables").fill("H2O2 100 µM\nuntreated")

    add(page, "specimen", "#f-specimens-0-title")
    page.locator("#f-specimens-0-title").fill("Live cells on glass")
    page.locator("#f-specimens-0-sample_preparation").fill("Cells seeded on glass-bottom dishes.")

    add(page, "image acquisition", "#f-acquisitions-0-title")
    page.locator("#f-acquisitions-0-title").fill("Spinning disk time-lapse")
    page.locator("#f-acquisitions-0-imaging_method-name").fill("spinning disk confocal microscopy")
    assert page.locator("#f-acquisitions-0-imaging_method-id").input_value() == "FBbi:00000253"
    page.locator("#f-acquisitions-0-instrument").fill("Nikon Ti2, Yokogawa CSU-W1")
    page.locator("#f-acquisitions-0-parameters").fill("60x oil, 488 nm, 100 ms, every 2 s")

    add(page, "study component", "#f-components-0-name")
    page.locator("#f-components-0-name").fill("Time-lapse")
    page.locator("#f-components-0-description").fill("Treated and control cells over 30 minutes.")
    page.locator("#f-components-0-biosample").select_option(label="HeLa cells")
    page.locator("#f-components-0-specimen").select_option(label="Live cells on glass")
    page.locator("#f-components-0-acquisition").select_option(label="Spinning disk time-lapse")
    # Autosave keeps up as the person types.
    page.get_by_text("All changes saved").wait_for()
    shot(page, "editor")
    page.get_by_role("button", name="Save and review").click()

    page.get_by_text("Description saved.").wait_for()
    submission = Submission.objects.get()
    assert submission.metadata["study"]["authors"][0]["orcid"] == "0000-0002-1825-0097"
    assert "files" in page.locator(".problem-list").inner_text().lower()
    DataFileFactory(submission=submission, status=FileStatus.INSPECTED, name="cell_01.ome.tif")
    page.reload()
    shot(page, "overview-draft")
    page.get_by_role("link", name="Submit for review").click()
    page.get_by_role("button", name="Yes, submit for review").click()
    page.get_by_text("Submitted for review").wait_for()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED

    curator_context = browser.new_context(viewport={"width": 1280, "height": 900})
    curator = curator_context.new_page()
    login(curator, live_server.url, "curator@demo.aperture", "aperture-demo")
    curator.wait_for_url(f"{live_server.url}/")
    curator.goto(f"{live_server.url}/submissions/{submission.pk}/")
    curator.get_by_role("heading", name="Timeline").wait_for()
    assert "Spinning disk time-lapse" in curator.content()
    assert curator.get_by_role("link", name="Edit description").count() == 0
    shot(curator, "overview-curator")
    curator_context.close()
