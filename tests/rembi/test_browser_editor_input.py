"""In a real browser, the editor never loses input (issue 12, "The editor never loses input"):
an invalid value does not stop the others saving and stays with its error after leaving and
coming back; leaving with changes not yet saved asks first; a new section appears in place
and survives a reload; pickers do not call a half-typed name wrong."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from submissions.accounts.models import Role
from submissions.lifecycle import services
from submissions.lifecycle.models import Submission
from tests import factories
from tests.browser import ARTIFACTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"
SHORT_ORCID = "0000-0002-1825"


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(Path(ARTIFACTS) / f"editor-{name}.png"), full_page=True)  # type: ignore[attr-defined]


@pytest.fixture
def editing(live_server, page):  # type: ignore[no-untyped-def]
    facility = factories.FacilityFactory(name="Light Microscopy Facility")
    researcher = factories.member(facility=facility, role=Role.RESEARCHER)
    draft = services.create_submission(user=researcher, facility=facility, title="Zebrafish heart")
    login(page, live_server.url, researcher.email, PASSWORD)
    page.get_by_role("heading", name="My submissions").wait_for()
    url = f"{live_server.url}/submissions/{draft.pk}/edit/"
    page.goto(url)
    page.get_by_role("heading", name="Describe your dataset").wait_for()
    return draft, url


def wait_saved(page) -> str:  # type: ignore[no-untyped-def]
    status = page.locator("#save-status")
    page.wait_for_function(
        "() => ['saved', 'held'].includes(document.getElementById('save-status').dataset.state)"
    )
    return str(status.inner_text())


def test_an_invalid_orcid_keeps_its_error_and_three_other_edits_are_saved(  # type: ignore[no-untyped-def]
    editing, page, live_server
) -> None:
    draft, url = editing
    page.locator("#f-study-authors-0-orcid").fill(SHORT_ORCID)
    page.locator("#f-study-keywords").fill("zebrafish, heart, regeneration")
    page.locator("#f-study-licence").select_option(label="CC BY 4.0")
    page.locator("#f-study-description").fill(
        "Light-sheet time-lapse of zebrafish hearts regenerating after cryoinjury."
    )
    line = wait_saved(page)
    assert "One value needs correcting and is kept as you typed it" in line
    assert "ORCID iD" in line
    for developer_words in ("study.", "Nothing was saved", "(s)"):
        assert developer_words not in line
    shot(page, "held-orcid")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="My submissions"
    ).click()
    page.get_by_role("heading", name="My submissions").wait_for()
    page.goto(url)

    assert page.locator("#f-study-keywords").input_value() == "zebrafish, heart, regeneration"
    assert page.locator("#f-study-licence").input_value().endswith("/by/4.0/")
    assert page.locator("#f-study-description").input_value().startswith("Light-sheet")
    orcid = page.locator("#f-study-authors-0-orcid")
    assert orcid.input_value() == SHORT_ORCID
    assert orcid.get_attribute("aria-invalid") == "true"
    error = page.locator("#f-study-authors-0-orcid-error")
    assert error.is_visible()
    assert "An ORCID iD has 16 digits" in error.inner_text()
    summary = page.locator("#error-summary")
    assert "1 value needs correcting" in summary.inner_text()
    assert "Study \u203a Author 1 \u203a ORCID iD" in summary.inner_text()
    shot(page, "held-orcid-after-return")

    draft.refresh_from_db()
    assert draft.metadata["study"]["keywords"] == ["zebrafish", "heart", "regeneration"]
    assert draft.metadata["study"]["description"].startswith("Light-sheet")
    assert draft.metadata["study"]["authors"][0]["orcid"] == ""
    assert draft.draft_values == {"study.authors.0.orcid": SHORT_ORCID}

    # Corrected, the error goes and the value joins the description.
    orcid.fill("0000-0002-1825-0097")
    orcid.press("Tab")
    assert "All changes saved" in wait_saved(page)
    assert not page.locator("#f-study-authors-0-orcid-error").is_visible()
    draft.refresh_from_db()
    assert draft.metadata["study"]["authors"][0]["orcid"] == "0000-0002-1825-0097"
    assert draft.draft_values == {}


def test_leaving_with_unsaved_changes_asks_first_and_nothing_is_lost(  # type: ignore[no-untyped-def]
    editing, page
) -> None:
    draft, url = editing
    asked: list[str] = []

    def stay(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.locator("#f-study-acknowledgements").fill("Thanks to the fish facility.")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="My submissions"
    ).click()  # before the autosave pause ends
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    assert page.url == url  # they chose to stay
    wait_saved(page)

    # Once saved, leaving asks nothing.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="My submissions"
    ).click()
    page.get_by_role("heading", name="My submissions").wait_for()

    # Leaving anyway at once: what was typed is sent on the way out.
    page.goto(url)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#f-study-funding_statement").fill("Funded by the fish council.")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="My submissions"
    ).click()
    page.get_by_role("heading", name="My submissions").wait_for()
    # The last save travels on its own (navigator.sendBeacon) while the next page loads.
    deadline = time.monotonic() + 5
    while not draft.metadata["study"]["funding_statement"] and time.monotonic() < deadline:
        time.sleep(0.05)
        draft.refresh_from_db()
    page.goto(url)
    assert page.locator("#f-study-funding_statement").input_value() == (
        "Funded by the fish council."
    )
    assert page.locator("#f-study-acknowledgements").input_value() == (
        "Thanks to the fish facility."
    )


def test_a_section_is_added_in_place_and_survives_until_removed(editing, page) -> None:  # type: ignore[no-untyped-def]
    draft, _ = editing
    page.evaluate("window.sameDocument = 42")
    page.locator("#f-study-keywords").fill("zebrafish")
    page.get_by_role("button", name="+ Add biosample").click()
    title = page.locator("#f-biosamples-0-title")
    title.wait_for()
    page.wait_for_function("() => document.activeElement.id === 'f-biosamples-0-title'")
    assert page.evaluate("window.sameDocument") == 42, "adding reloaded the page"
    # The study components' choices name the new biosample as soon as it has a title.
    page.get_by_role("button", name="+ Add study component").click()
    page.locator("#f-components-0-name").wait_for()
    title.fill("Adult zebrafish heart")
    option = page.locator("#f-components-0-biosample option", has_text="Adult zebrafish heart")
    assert option.count() == 1
    assert page.evaluate("window.sameDocument") == 42
    shot(page, "added-in-place")

    page.get_by_role("button", name="+ Add specimen").click()
    page.locator("#f-specimens-0-title").wait_for()
    wait_saved(page)
    page.reload()
    # The empty specimen is still there, waiting to be filled in or removed.
    assert page.locator("#f-specimens-0-title").input_value() == ""
    assert page.locator("#f-biosamples-0-title").input_value() == "Adult zebrafish heart"
    assert page.locator("#f-study-keywords").input_value() == "zebrafish"

    page.evaluate("window.sameDocument = 43")
    page.get_by_role("button", name="Remove specimen 1").click()
    page.locator("#f-specimens .empty-list").wait_for()
    assert page.evaluate("window.sameDocument") == 43
    wait_saved(page)
    page.reload()
    assert page.locator("#f-specimens-0-title").count() == 0
    draft.refresh_from_db()
    assert draft.metadata["specimens"] == []
    assert [b["title"] for b in draft.metadata["biosamples"]] == ["Adult zebrafish heart"]


def test_pickers_do_not_call_a_half_typed_name_wrong(editing, page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="+ Add biosample").click()
    name = page.locator("#f-biosamples-0-organism-scientific_name")
    name.wait_for()
    hint = page.locator('[data-hint-for="f-biosamples-0-organism-scientific_name"]')
    name.press_sequentially("Danio rer", delay=30)
    page.wait_for_timeout(1500)  # long enough for the autosave to answer
    assert "Not" not in hint.inner_text()
    assert not page.locator(".field-error:visible").count(), "an error while still typing"
    name.press_sequentially("io", delay=30)
    hint = '[data-hint-for="f-biosamples-0-organism-scientific_name"]'
    page.wait_for_function(f"() => document.querySelector('{hint}').textContent.includes('7955')")
    assert page.locator("#f-biosamples-0-organism-taxon_id").input_value() == "7955"

    method_name = page.locator("#f-biosamples-0-title")
    method_name.fill("Heart")
    page.get_by_role("button", name="+ Add image acquisition").click()
    method = page.locator("#f-acquisitions-0-imaging_method-name")
    method.wait_for()
    method.press_sequentially("light sh", delay=30)
    page.wait_for_timeout(1500)
    method_hint = page.locator('[data-hint-for="f-acquisitions-0-imaging_method-name"]')
    assert "Not" not in method_hint.inner_text()
    assert not page.locator("#f-acquisitions-0-imaging_method-name-error").is_visible()
    method.press("Tab")  # leaving the field: now it may say so
    assert re.search("Not an FBbi imaging method", method_hint.inner_text())
    page.locator("#f-acquisitions-0-imaging_method-name-error").wait_for()
    shot(page, "picker-left-unfinished")
    # Leaving the field saved the draft; let that request finish before the database is reset.
    wait_saved(page)


def test_a_draft_kept_as_typed_is_listed_on_the_submission_page(  # type: ignore[no-untyped-def]
    editing, page, live_server
) -> None:
    draft, _ = editing
    page.locator("#f-study-authors-0-email").fill("rosalind at example")
    wait_saved(page)
    page.goto(f"{live_server.url}/submissions/{draft.pk}/")
    problems = page.locator(".problem-list")
    text = problems.inner_text()
    assert "Author 1 \u203a E-mail: Enter an e-mail address like name@example.org." in text
    assert "study." not in text
    assert Submission.objects.get(pk=draft.pk).draft_values == {
        "study.authors.0.email": "rosalind at example"
    }
