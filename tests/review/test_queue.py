"""The review queue: facility-scoped, filtered, searched, sorted, paged, counted per state."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from submissions.accounts.models import Facility, Role, User
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.review import services as review
from tests import factories
from tests.conftest import client_for
from tests.review.conftest import html_client

pytestmark = pytest.mark.django_db
S = SubmissionStatus


def queue(user: User, facility: Facility, **params: object) -> dict:  # type: ignore[type-arg]
    response = client_for(user).get(f"/api/v1/review/facilities/{facility.slug}/queue/", params)
    assert response.status_code == 200, response.json()
    return response.json()  # type: ignore[no-any-return]


def titles(page: dict) -> list[str]:  # type: ignore[type-arg]
    return [row["title"] for row in page["results"]]


def make_queue_rows(facility: Facility, researcher: User, count: int) -> list[Submission]:
    now = timezone.now()
    rows = []
    for n in range(count):
        submission = factories.CompleteSubmissionFactory(
            owner=researcher,
            facility=facility,
            title=f"Queue item {n:03d}",
            status=S.SUBMITTED,
            submitted_at=now - datetime.timedelta(hours=n),
        )
        rows.append(submission)
    return rows


def test_default_is_waiting_submissions_oldest_first_with_counts_per_state(
    make_submitted: Callable[..., Submission], curator: User, facility: Facility
) -> None:
    first = make_submitted(title="First in")
    second = make_submitted(title="Second in")
    Submission.objects.filter(pk=first.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=3)
    )
    decided = make_submitted(title="Already approved")

    review.approve(submission=decided, curator=curator)
    factories.CompleteSubmissionFactory(facility=facility, title="A draft")  # never in the queue
    page = queue(curator, facility)
    assert titles(page) == ["First in", "Second in"]
    assert page["counts"]["waiting"] == 2
    assert page["counts"]["approved"] == 1
    assert page["counts"]["all"] == 3
    assert "draft" not in page["counts"]
    assert page["results"][0]["waiting_seconds"] >= 3 * 24 * 3600 - 5
    assert page["results"][0]["file_count"] == 1
    assert second.pk


def test_researchers_and_other_facilities_get_404(
    curator: User, researcher: User, outsider: User, facility: Facility
) -> None:
    other_curator = factories.member(facility=factories.FacilityFactory(), role=Role.CURATOR)
    for user in (researcher, outsider, other_curator):
        response = client_for(user).get(f"/api/v1/review/facilities/{facility.slug}/queue/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert html_client(user).get(f"/review/{facility.slug}/").status_code == 404  # type: ignore[attr-defined]


def test_filters_by_state_submitter_assignee_age_and_failures(
    make_submitted: Callable[..., Submission],
    curator: User,
    other_curator: User,
    researcher: User,
    facility: Facility,
) -> None:
    colleague = factories.member(facility=facility, role=Role.RESEARCHER)
    mine = make_submitted(title="Claimed by me")
    review.claim(submission=mine, curator=curator)
    theirs = make_submitted(title="Given to a colleague")
    review.assign(submission=theirs, curator=curator, assignee=other_curator)
    old = make_submitted(owner=colleague, title="Old one")
    Submission.objects.filter(pk=old.pk).update(
        submitted_at=timezone.now() - datetime.timedelta(days=40)
    )
    broken = make_submitted(title="Has a failed file")
    factories.DataFileFactory(submission=broken, status="failed", failure_message="Not a TIFF")

    assert titles(queue(curator, facility, assignee="me")) == ["Claimed by me"]
    assert titles(queue(curator, facility, assignee=str(other_curator.pk))) == [
        "Given to a colleague"
    ]
    assert set(titles(queue(curator, facility, assignee="none"))) == {
        "Old one",
        "Has a failed file",
    }
    assert titles(queue(curator, facility, submitter=colleague.email.upper())) == ["Old one"]
    assert titles(queue(curator, facility, age="gt30d")) == ["Old one"]
    assert "Old one" not in titles(queue(curator, facility, age="lt1d"))
    failing = queue(curator, facility, has_failures="true")
    assert titles(failing) == ["Has a failed file"]
    assert failing["results"][0]["failed_files"] == 1
    assert "Has a failed file" not in titles(queue(curator, facility, has_failures="false"))
    assert titles(queue(curator, facility, state="in_review")) == ["Claimed by me"]


def test_search_by_title_accession_or_submitter(
    make_submitted: Callable[..., Submission], curator: User, facility: Facility
) -> None:
    colleague = factories.member(facility=facility, role=Role.RESEARCHER)
    colleague.full_name = "Barbara McClintock"
    colleague.save()
    make_submitted(title="Zebrafish heart regeneration")
    with_accession = make_submitted(title="Something else")
    Submission.objects.filter(pk=with_accession.pk).update(accession="APT-000123")
    make_submitted(owner=colleague, title="Maize chromosomes")
    assert titles(queue(curator, facility, q="zebrafish")) == ["Zebrafish heart regeneration"]
    assert titles(queue(curator, facility, q="apt-000123")) == ["Something else"]
    assert titles(queue(curator, facility, q="mcclintock")) == ["Maize chromosomes"]
    assert titles(queue(curator, facility, q="%_'\"<script>")) == []


def test_sorting_and_pagination(curator: User, researcher: User, facility: Facility) -> None:
    make_queue_rows(facility, researcher, 7)
    first = queue(curator, facility, page_size=3)
    assert first["count"] == 7
    assert titles(first) == ["Queue item 006", "Queue item 005", "Queue item 004"]
    last = queue(curator, facility, page_size=3, page=3)
    assert titles(last) == ["Queue item 000"]
    assert titles(queue(curator, facility, sort="newest", page_size=2)) == [
        "Queue item 000",
        "Queue item 001",
    ]
    assert titles(queue(curator, facility, sort="title", page_size=1)) == ["Queue item 000"]


def test_bad_filter_values_get_a_clear_api_error(curator: User, facility: Facility) -> None:
    response = client_for(curator).get(
        f"/api/v1/review/facilities/{facility.slug}/queue/", {"state": "nope", "age": "forever"}
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"state", "age"}


def test_queue_queries_do_not_grow_with_page_size(
    curator: User, researcher: User, facility: Facility
) -> None:
    rows = make_queue_rows(facility, researcher, 40)
    for submission in rows[::3]:
        factories.DataFileFactory(submission=submission, status="failed")
    review.assign(submission=rows[0], curator=curator, assignee=curator)
    api_client, page_client = client_for(curator), html_client(curator)

    def count(client: object, url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200  # type: ignore[attr-defined]
        return len(captured)

    api = f"/api/v1/review/facilities/{facility.slug}/queue/"
    page = f"/review/{facility.slug}/?state=all"
    assert count(api_client, f"{api}?page_size=2") == count(api_client, f"{api}?page_size=40")
    assert count(page_client, f"{page}&per_page=25") == count(page_client, f"{page}&per_page=100")
    assert count(api_client, f"{api}?page_size=40") <= 8


def test_queue_page_shows_rows_counts_and_waiting_time(
    make_submitted: Callable[..., Submission],
    curator: User,
    facility: Facility,
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    make_submitted(title="Cells <b>in</b> motion")
    client = html_client(curator)
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        response = client.get(f"/review/{facility.slug}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Cells &lt;b&gt;in&lt;/b&gt; motion" in html
    assert 'aria-current="page">Waiting <span class="count">1</span>' in html
    assert "0\xa0minutes" in html or "0 minutes" in html
    assert "Claim" in html


def test_review_home_goes_to_the_only_queue(curator: User, facility: Facility) -> None:
    response = html_client(curator).get("/review/")  # type: ignore[attr-defined]
    assert response.status_code == 302
    assert response["Location"] == f"/review/{facility.slug}/"


def test_claim_from_the_queue_comes_back_to_the_queue(
    submitted: Submission, curator: User, facility: Facility
) -> None:
    client = html_client(curator)
    back = f"/review/{facility.slug}/?state=all"
    response = client.post(f"/review/submissions/{submitted.pk}/claim/", {"next": back})
    assert response["Location"] == back
    again = client.post(
        f"/review/submissions/{submitted.pk}/claim/", {"next": "https://evil.example/"}
    )
    assert again["Location"] == f"/submissions/{submitted.pk}/review/"
    submitted.refresh_from_db()
    assert submitted.assignee == curator


def test_queue_rows_match_what_drf_would_serialize(
    curator: User, researcher: User, facility: Facility
) -> None:
    """The row serializer builds its dicts by hand for speed; they must equal DRF's own."""
    from rest_framework import serializers

    from submissions.review import selectors
    from submissions.review.serializers import QueueRowSerializer

    rows = make_queue_rows(facility, researcher, 3)
    factories.DataFileFactory(submission=rows[0], status="failed", size=1234)
    review.assign(submission=rows[1], curator=curator, assignee=curator)
    Submission.objects.filter(pk=rows[2].pk).update(accession="APT-77", submitted_at=None)
    page = list(
        selectors.review_queue(
            user=curator, facility=facility, filters=selectors.QueueFilters(state="all")
        )
    )
    context = {"stats": selectors.file_stats(page)}
    fast = QueueRowSerializer(page, many=True, context=context).data
    by_drf = [
        serializers.ModelSerializer.to_representation(QueueRowSerializer(context=context), row)
        for row in page
    ]
    for row in (*fast, *by_drf):
        row.pop("waiting_seconds")  # read from the clock at each call
    assert [dict(row) for row in fast] == [dict(row) for row in by_drf]
    assert {row["failed_files"] for row in fast} == {0, 1}
    assert any(row["assignee"] for row in fast)
    assert any(row["accession"] == "APT-77" and row["submitted_at"] is None for row in fast)


@pytest.mark.parametrize("language", ["en-gb", "de"])
@pytest.mark.parametrize(
    "seconds", [0, 59, 3600, 3 * 86400 + 7200, 40 * 86400, 400 * 86400, 800 * 86400 + 5000]
)
def test_waiting_time_says_what_djangos_own_formats_say(seconds: int, language: str) -> None:
    """The queue's waiting column formats directly for speed; it must read exactly like
    Django's date formats "c" and "j M Y H:i" and timesince (depth 2), in any language."""
    from django.utils import formats, translation
    from django.utils.timesince import timesince

    from submissions.review.templatetags import waiting_since

    now = timezone.now()
    since = now - datetime.timedelta(seconds=seconds)
    with translation.override(language):
        local = timezone.localtime(since)
        expected = (
            f'<time datetime="{formats.date_format(local, "c")}" '
            f'title="Submitted {formats.date_format(local, "j M Y H:i")}">'
            f"{timesince(local, now, depth=2)}</time>"
        )
        assert waiting_since(since) == expected
