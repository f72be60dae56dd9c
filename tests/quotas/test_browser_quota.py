"""In a real browser: an admin lowers a quota, and the researcher's next upload is refused
before a single byte of it is sent (the admission check sees only names and sizes).

The upload page is built in another branch; here the researcher's storage page drives the
same admission check (`POST /api/v1/quota/check/`, static aperture/quota.js) that the
uploader calls before it creates any upload.
"""

from __future__ import annotations

import pytest

from submissions.accounts.models import Role
from submissions.quotas.models import QuotaAccount
from submissions.quotas.services import ledger as quota
from tests import factories
from tests.browser import ARTIFACTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
MB = 10**6


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"quota-{name}.png"), full_page=True)


def test_admin_lowers_quota_and_next_upload_is_refused_before_any_byte(  # type: ignore[no-untyped-def]
    live_server, page, browser
) -> None:
    facility = factories.FacilityFactory(name="Light Microscopy Core", slug="lmc")
    group = factories.GroupFactory(facility=facility, name="Cell Biology Lab")
    admin = factories.member(facility=facility, role=Role.FACILITY_ADMIN)
    researcher = factories.member(facility=facility, role=Role.RESEARCHER, group=group)
    factories.quota(facility=facility, hard=100 * MB)
    earlier = quota.reserve(user=researcher, facility=facility, nbytes=MB)
    quota.settle(reservation=earlier, actual_bytes=MB)

    # The researcher, in their own browser, checks a 2 MB file: it fits.
    researcher_context = browser.new_context(viewport={"width": 1280, "height": 900})
    researcher_page = researcher_context.new_page()
    sent: list[tuple[str, str, int]] = []
    researcher_page.on(
        "request",
        lambda r: sent.append((r.method, r.url, len(r.post_data_buffer or b""))),
    )
    login(researcher_page, live_server.url, researcher.email, PASSWORD)
    researcher_page.get_by_role("link", name="My storage").click()
    researcher_page.get_by_role("heading", name="My storage").wait_for()
    payload = {"name": "embryo_t0001.ome.tif", "mimeType": "image/tiff", "buffer": b"\0" * (2 * MB)}
    chooser = researcher_page.get_by_label("Check whether files fit in Light Microscopy Core")
    chooser.set_input_files(payload)
    researcher_page.get_by_role("button", name="Check these files").click()
    researcher_page.get_by_text("fit.").wait_for()

    # The admin lowers the researcher's staging hard limit to 2 MB (1 MB is already used).
    login(page, live_server.url, admin.email, PASSWORD)
    page.get_by_role("link", name="Facility").click()
    page.get_by_role("link", name="Quotas").click()
    hard = page.get_by_label(f"Hard limit, user {researcher.display_name}, staging")
    hard.fill("2 MB")
    page.get_by_label(f"Soft limit, user {researcher.display_name}, staging").fill("1.5 MB")
    page.get_by_role("button", name=f"Save limits of {researcher.display_name}, staging").click()
    page.get_by_text(f"Saved the limits of {researcher.display_name}.").wait_for()
    assert (
        page.get_by_label(f"Hard limit, user {researcher.display_name}, staging").input_value()
        == "2 MB"
    )
    account = QuotaAccount.objects.get(user=researcher, area="staging")
    assert account.hard_limit == 2 * MB
    assert "quota.changed" in page.goto(f"{live_server.url}/facility/lmc/audit/").text()  # type: ignore[union-attr]
    shot(page, "audit")

    # The researcher's next try with the same file is refused, naming the limit.
    sent.clear()
    researcher_page.get_by_role("button", name="Check these files").click()
    refusal = researcher_page.locator(".fit-result.fit-refused")
    refusal.wait_for()
    assert "needs 2.0 MB but your personal quota has 1.0 MB left" in refusal.inner_text()
    shot(researcher_page, "researcher-refused")

    # Only the manifest went to the server: one small JSON request, no file bytes.
    posts = [(method, url, size) for method, url, size in sent if method != "GET"]
    assert [url.removeprefix(live_server.url) for _, url, _ in posts] == ["/api/v1/quota/check/"]
    assert posts[0][2] < 1000
    researcher_context.close()


def test_admin_pages_look_right(live_server, page) -> None:  # type: ignore[no-untyped-def]
    """Screenshots of every admin page with some data, for a person to look at."""
    from datetime import timedelta

    from django.utils import timezone

    facility = factories.FacilityFactory(name="Light Microscopy Core", slug="lmc")
    admin = factories.member(facility=facility, role=Role.FACILITY_ADMIN)
    labs = [
        factories.GroupFactory(facility=facility, name=n) for n in ("Cell Biology Lab", "Neuro Lab")
    ]
    people = [
        factories.member(facility=facility, role=Role.RESEARCHER, group=labs[i % 2])
        for i in range(4)
    ]
    factories.quota(facility=facility, soft=400 * MB, hard=500 * MB)
    factories.quota(facility=facility, group=labs[0], hard=200 * MB)
    for index, person in enumerate(people):
        submission = factories.SubmissionFactory(
            owner=person, facility=facility, group=labs[index % 2]
        )
        r = quota.reserve(
            user=person, facility=facility, nbytes=(index + 1) * 20 * MB, submission=submission
        )
        quota.settle(reservation=r, actual_bytes=(index + 1) * 20 * MB)
    today = timezone.localdate()
    for account in QuotaAccount.objects.all():
        for back in range(30, 0, -3):
            account.snapshots.create(
                day=today - timedelta(days=back),
                used_bytes=max(0, account.used_bytes * (30 - back) // 30),
                held_bytes=0,
            )
    researcher = people[0]
    from submissions.quotas.services import admin as quota_admin

    quota_admin.request_increase(
        user=researcher,
        facility=facility,
        scope="group",
        area="staging",
        requested_hard_limit=400 * MB,
        reason="Two new light-sheet projects this spring.",
    )
    login(page, live_server.url, admin.email, PASSWORD)
    for path, name in (
        ("", "dashboard"),
        ("members/", "members"),
        ("quotas/", "quotas"),
        ("requests/", "requests"),
    ):
        page.goto(f"{live_server.url}/facility/lmc/{path}")
        page.get_by_role("heading", name="Light Microscopy Core").wait_for()
        shot(page, name)
    assert page.locator("svg.chart").count() == 0  # requests page has none
    page.goto(f"{live_server.url}/facility/lmc/")
    assert page.locator("svg.chart[role=img]").count() == 4
    page.goto(f"{live_server.url}/facility/lmc/requests/")
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("Approved:").wait_for()
    page.get_by_role("button", name="Sign out").click()
    login(page, live_server.url, researcher.email, PASSWORD)
    page.goto(f"{live_server.url}/account/usage/")
    shot(page, "usage")
    assert page.locator("meter").count() >= 2
