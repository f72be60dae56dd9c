"""The queue's counts stop at a limit (so their cost does not grow with the archive): past it
a tab says "N+", pages run on by `next` with no last page, and a search too broad to count
per state says so instead of showing numbers it did not count. The limit is lowered to 3 here;
production counts to 200."""

from __future__ import annotations

import re

import pytest

from submissions.accounts.models import Facility, User
from submissions.lifecycle.models import SubmissionStatus
from submissions.review import counts
from tests import factories
from tests.conftest import client_for
from tests.review.conftest import html_client
from tests.review.test_queue import make_queue_rows, titles

pytestmark = pytest.mark.django_db
S = SubmissionStatus
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counts, "COUNT_LIMIT", 3)


def api(user: User, facility: Facility, **params: object) -> dict:  # type: ignore[type-arg]
    response = client_for(user).get(f"/api/v1/review/facilities/{facility.slug}/queue/", params)
    assert response.status_code == 200, response.json()
    return response.json()  # type: ignore[no-any-return]


def page_text(user: User, facility: Facility, query: str) -> str:
    response = html_client(user).get(f"/review/{facility.slug}/?{query}")  # type: ignore[attr-defined]
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def test_within_the_limit_every_count_is_exact(
    curator: User, researcher: User, facility: Facility
) -> None:
    make_queue_rows(facility, researcher, 2)
    factories.CompleteSubmissionFactory(facility=facility, owner=researcher, status=S.REJECTED)
    page = api(curator, facility, state="all")
    assert page["count"] == 3
    assert page["count_exact"] is True
    assert page["counts"]["submitted"] == 2
    assert page["counts"]["rejected"] == 1
    assert page["counts_over_limit"] == []


def test_past_the_limit_tabs_say_more_and_pages_run_on_by_next(
    curator: User, researcher: User, facility: Facility
) -> None:
    make_queue_rows(facility, researcher, 7)  # submitted, the oldest is "Queue item 006"
    factories.CompleteSubmissionFactory(facility=facility, owner=researcher, status=S.REJECTED)
    first = api(curator, facility, page_size=3)
    assert first["count_exact"] is False
    assert first["count"] == 3
    assert first["counts"]["rejected"] == 1  # under the limit: still exact
    assert set(first["counts_over_limit"]) == {"submitted", "waiting", "all"}
    seen, page, number = titles(first), first, 1
    while page["next"]:
        number += 1
        page = api(curator, facility, page_size=3, page=number)
        seen += titles(page)
    assert seen == [f"Queue item {n:03d}" for n in range(6, -1, -1)]  # all 7, in order, once
    assert number == 3
    past = client_for(curator).get(
        f"/api/v1/review/facilities/{facility.slug}/queue/", {"page_size": 3, "page": 4}
    )
    assert past.status_code == 404

    html = page_text(curator, facility, "per_page=25&page=1")
    assert 'Waiting <span class="count">3+</span>' in html
    assert 'Rejected <span class="count">1</span>' in html
    assert "More than 3 submissions" in html
    assert "Last »" not in html
    assert "page 1 of" not in html


def test_page_links_of_an_open_ended_list(
    curator: User, researcher: User, facility: Facility
) -> None:
    make_queue_rows(facility, researcher, 7)
    html = html_client(curator).get(f"/review/{facility.slug}/", {"per_page": 25})  # type: ignore[attr-defined]
    assert html.status_code == 200
    # 7 rows fit one page of 25: no pagination at all although the count is a lower bound.
    assert 'rel="next"' not in html.content.decode()
    # The form offers 25, 50 and 100 per page; with 7 rows the paging is seen through the API
    # above. A page number past the end of the list shows its first page, not an error.
    past = html_client(curator).get(f"/review/{facility.slug}/", {"page": 9})  # type: ignore[attr-defined]
    assert past.status_code == 200
    assert "Queue item 006" in past.content.decode()


def test_a_search_too_broad_to_count_per_state_says_so(
    curator: User, researcher: User, facility: Facility
) -> None:
    make_queue_rows(facility, researcher, 5)  # every title holds "Queue item"
    page = api(curator, facility, q="queue item", state="all")
    assert page["counts"] == {"all": 3}
    assert page["counts_over_limit"] == ["all"]
    assert len(page["results"]) == 5  # the rows themselves are all there
    assert "More than 3 submissions" in page_text(curator, facility, "q=queue+item&state=all")
    html = page_text(curator, facility, "q=queue+item&state=waiting")
    assert "More than 3 submissions match these filters in all states" in html
    assert "narrow the search to see the counts" in html
    assert re.search(r'state=waiting"[^>]*>Waiting</a>', html)  # not counted: no number, no 0
    # A narrower search is counted exactly again.
    narrow = api(curator, facility, q="Queue item 004", state="all")
    assert narrow["counts"]["submitted"] == 1
    assert narrow["count_exact"] is True


def test_the_failures_filter_is_counted_per_state_like_the_other_filters(
    curator: User, researcher: User, facility: Facility
) -> None:
    broken = make_queue_rows(facility, researcher, 5)
    for submission in broken:
        factories.DataFileFactory(submission=submission, status="failed")
    rejected = factories.CompleteSubmissionFactory(
        facility=facility, owner=researcher, status=S.REJECTED
    )
    factories.DataFileFactory(submission=rejected, status="failed")
    make_queue_rows(facility, researcher, 2)  # no failed file
    page = api(curator, facility, has_failures="true", state="waiting")
    assert page["counts"]["waiting"] == 3  # counted to the limit: "3+"
    assert "waiting" in page["counts_over_limit"]
    assert page["counts"]["rejected"] == 1
    assert "rejected" not in page["counts_over_limit"]
    assert page["count_exact"] is False
    assert len(page["results"]) == 5
    healthy = api(curator, facility, has_failures="false", state="all")
    assert healthy["count_exact"] is True
    assert healthy["counts"]["submitted"] == 2
    assert healthy["counts"]["rejected"] == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_queue_past_the_limit_reads_right(  # type: ignore[no-untyped-def]
    live_server, browser, curator: User, researcher: User, facility: Facility
) -> None:
    """The queue page past the counting limit, as a curator sees it (screenshots saved)."""
    from tests.browser import ARTIFACTS, login

    curator.set_password(PASSWORD)
    curator.save()
    make_queue_rows(facility, researcher, 5)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    login(page, live_server.url, curator.email, PASSWORD)
    page.goto(f"{live_server.url}/review/{facility.slug}/")
    waiting = page.get_by_role("link", name="Waiting 3+")
    waiting.wait_for()
    assert page.get_by_role("status").inner_text().startswith("More than 3 submissions")
    assert page.get_by_role("link", name="Queue item 004").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "queue-past-the-limit.png"), full_page=True)
    page.goto(f"{live_server.url}/review/{facility.slug}/?q=queue+item")
    status = page.get_by_role("status").inner_text()
    assert "too many to count each state" in status
    assert page.get_by_role("link", name="Waiting", exact=True).is_visible()
    page.screenshot(path=str(ARTIFACTS / "queue-broad-search.png"), full_page=True)
    context.close()
