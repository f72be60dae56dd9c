"""A researcher with many submissions finds every one of them: the dashboard pages, searches
by title or accession, and filters by status; nobody else's submission ever appears."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission, SubmissionStatus
from tests import factories

pytestmark = pytest.mark.django_db


def dashboard(user: User, query: str = "") -> str:
    browser = Client()
    browser.force_login(user)
    response = browser.get(f"/{query}")
    assert response.status_code == 200
    return response.content.decode()


def titles(html: str) -> list[str]:
    return re.findall(r'<a href="/submissions/[0-9a-f-]+/">([^<]+)</a>', html)


def test_every_submission_is_reachable_page_by_page(researcher: User, facility, outsider) -> None:
    for n in range(60):
        factories.SubmissionFactory(owner=researcher, facility=facility, title=f"Zebrafish {n:02}")
    factories.SubmissionFactory(owner=outsider, facility=facility, title="Someone else's")

    seen: list[str] = []
    for page in (1, 2, 3):
        html = dashboard(researcher, f"?page={page}")
        seen += titles(html)
        assert f"Page {page} of 3" in html
    assert len(seen) == 60
    assert set(seen) == {f"Zebrafish {n:02}" for n in range(60)}
    assert "60 submissions" in dashboard(researcher)
    assert "Someone else" not in "".join(seen)
    assert titles(dashboard(researcher, "?page=99")) == titles(dashboard(researcher, "?page=3"))


def test_search_and_status_filter_narrow_the_list(researcher: User, facility) -> None:
    factories.SubmissionFactory(owner=researcher, facility=facility, title="Zebrafish heart")
    factories.SubmissionFactory(owner=researcher, facility=facility, title="Mouse retina")
    published = factories.SubmissionFactory(
        owner=researcher, facility=facility, title="Fly wing", accession="APT-42"
    )
    Submission.objects.filter(pk=published.pk).update(status=SubmissionStatus.PUBLISHED)

    assert titles(dashboard(researcher, "?q=zebra")) == ["Zebrafish heart"]
    assert titles(dashboard(researcher, "?q=apt-42")) == ["Fly wing"]
    assert titles(dashboard(researcher, "?status=published")) == ["Fly wing"]
    assert sorted(titles(dashboard(researcher, "?status=nonsense"))) == [
        "Fly wing",
        "Mouse retina",
        "Zebrafish heart",
    ]
    nothing = dashboard(researcher, "?q=elephant")
    assert "No submission matches" in nothing
    assert 'value="elephant"' in nothing  # the search is kept in the box
    hostile = dashboard(researcher, "?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)</script>" not in hostile


def test_my_labs_tab_shows_colleagues_submissions_and_nobody_elses(
    researcher: User, facility, outsider
) -> None:
    from submissions.accounts.models import Role

    group = researcher.memberships.get().group
    assert group is not None
    colleague = factories.member(facility=facility, role=Role.RESEARCHER, group=group)
    stranger = factories.member(facility=facility, role=Role.RESEARCHER)
    factories.SubmissionFactory(owner=researcher, facility=facility, group=group, title="Mine")
    factories.SubmissionFactory(owner=colleague, facility=facility, group=group, title="Theirs")
    factories.SubmissionFactory(owner=stranger, facility=facility, title="Another lab's")

    mine = dashboard(researcher)
    assert titles(mine) == ["Mine"]
    assert 'href="/?scope=lab"' in mine
    lab = dashboard(researcher, "?scope=lab")
    assert titles(lab) == ["Theirs"]
    assert colleague.display_name in lab
    assert titles(dashboard(researcher, "?scope=lab&q=another")) == []
