"""The review page is for people, at the two screen sizes curators use most (1366x768 and
1920x1080): REMBI labels, keywords as tags, components by the titles of what they link, the
timeline collapsed to its latest events, and a file table whose names wrap only at
separators. Screenshots are kept in test-results/ (review-layout-*.png) to be looked at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from submissions.accounts.models import Role
from submissions.lifecycle import services as lifecycle
from submissions.review import services as review
from tests import factories
from tests.browser import ARTIFACTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"
LONG_NAMES = [
    "2024-03-18_HeLa_MitoTracker_DeepRed_timelapse_position_017_channel_merge.ome.tif",
    "confocal_zstack_embryo_stage14_anti-GFP_anti-tubulin_replicate03.czi",
    "README_acquisition_notes_and_microscope_settings.txt",
]
# What a person must never read on the page.
DEVELOPER_WORDS = re.compile(
    r"\b(study|biosamples|specimens|acquisitions|components)\.\w"
    r"|\bbiosample-[0-9a-f]{6}\b|\b(application|image|text)/[\w.+-]+"
    r"|#\d\b|\b(changes_requested|in_review|processing_failed)\b"
)

BREAKS = """els => els.map(el => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const chars = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      chars.push([node.data[i], range.getBoundingClientRect().top]);
    }
  }
  const after = [];
  for (let i = 1; i < chars.length; i++) {
    if (chars[i][1] > chars[i - 1][1] + 2) { after.push(chars[i - 1][0]); }
  }
  return after;
})"""


def test_the_review_page_reads_for_people_at_both_sizes(live_server, browser) -> None:  # type: ignore[no-untyped-def]
    facility = factories.FacilityFactory(name="Light Microscopy Facility")
    researcher = factories.member(facility=facility, role=Role.RESEARCHER)
    curator = factories.member(facility=facility, role=Role.CURATOR)
    submission = factories.CompleteSubmissionFactory(
        owner=researcher, facility=facility, with_file=False
    )
    metadata = submission.metadata
    metadata["study"]["keywords"] = ["mitochondria", "live imaging", "oxidative stress", "HeLa"]
    # Keys as the editor makes them: never shown, the components name titles.
    metadata["biosamples"][0]["key"] = "biosample-591f67"
    metadata["components"][0]["biosample"] = "biosample-591f67"
    lifecycle.update_submission(submission=submission, user=researcher, metadata=metadata)
    for index, name in enumerate(LONG_NAMES):
        factories.DataFileFactory(
            submission=submission,
            name=name,
            size=9_437_184 * (index + 1),
            sha256=f"{index}" * 64,
            detected_type="text/plain" if name.endswith(".txt") else "image/tiff",
            status="inspected",
            inspection={"attachment": True} if name.endswith(".txt") else {},
        )
    review.submit(submission=submission, user=researcher)
    for n in range(9):  # a long conversation leaves a long timeline
        review.add_comment(submission=submission, author=curator, body=f"Question {n + 1}?")
    events = submission.events.count()
    assert events > 10

    for width, height in ((1366, 768), (1920, 1080)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        login(page, live_server.url, curator.email, PASSWORD)
        page.get_by_role("link", name="Review queue").wait_for()
        page.goto(f"{live_server.url}/submissions/{submission.pk}/review/")
        page.get_by_role("heading", name="Metadata").wait_for()
        text = page.locator("body").inner_text()
        found = DEVELOPER_WORDS.search(text)
        assert found is None, f"developer wording on the page: {found.group(0)!r}"

        keywords = page.locator('#field-study-keywords ul.tags[aria-label="Keywords"] li')
        assert keywords.all_inner_texts() == [
            "mitochondria",
            "live imaging",
            "oxidative stress",
            "HeLa",
        ]
        component = page.locator("#field-components-0").inner_text()
        assert "HeLa cells" in component
        assert "biosample-" not in component

        timeline = page.locator('[aria-label="Latest events"] > li')
        assert timeline.count() == 5
        more = page.locator(".timeline-more summary")
        assert more.inner_text() == f"Show {events - 5} earlier events"
        assert not page.locator('[aria-label="Earlier events"]').is_visible()

        # File names wrap only after / _ - . and the table fits the page.
        wrapped = page.locator(".review-files .file-name").evaluate_all(BREAKS)
        assert all(ch in "/_-." for breaks in wrapped for ch in breaks), wrapped
        table = page.locator(".review-files").bounding_box()
        main = page.locator(".review-main").bounding_box()
        assert table["x"] + table["width"] <= main["x"] + main["width"] + 1
        assert "9.4 MB" in page.locator(".review-files").inner_text()
        assert "Other file" not in text  # a type without a name would say so, never its code

        ARTIFACTS.mkdir(exist_ok=True)
        name = f"review-layout-{width}x{height}"
        page.screenshot(path=str(Path(ARTIFACTS) / f"{name}.png"))
        page.screenshot(path=str(Path(ARTIFACTS) / f"{name}-full.png"), full_page=True)
        page.locator("#files").scroll_into_view_if_needed()
        page.screenshot(path=str(Path(ARTIFACTS) / f"{name}-files.png"))
        more.click()
        assert page.locator('[aria-label="Earlier events"] > li').count() == events - 5
        context.close()
