"""A usage meter reads its state in colour and in words, on the page and to a screen reader:
over the hard limit it says by how much, near it (90 % or past the soft limit) it cautions,
and the staging meter says that review copies count there too."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.template.loader import render_to_string

from submissions.accounts.models import Facility, User
from submissions.quotas.models import QuotaAccount
from submissions.quotas.selectors import usage_meter_context
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
GB = 10**9


def meter(user: User, facility: Facility, area: str = "staging") -> str:
    return render_to_string(
        "quotas/_usage_meter.html", usage_meter_context(user=user, facility=facility, area=area)
    )


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def using(account: QuotaAccount, used: int) -> None:
    QuotaAccount.objects.filter(pk=account.pk).update(used_bytes=used)


def user_level(html: str) -> str:
    """The <li> of the user's own level."""
    return re.search(r'<li class="usage-level[^"]*">\s*<span[^>]*-user">.*?</li>', html, re.S)[0]  # type: ignore[index]


def test_a_meter_over_its_limit_looks_and_reads_over(facility: Facility, researcher: User) -> None:
    account = factories.quota(facility=facility, user=researcher, hard=10 * GB)
    using(account, 11_200_000_000)  # a limit lowered below what is stored
    html = meter(researcher, facility)
    level = user_level(html)

    assert 'class="usage-level usage-over"' in level
    assert "Over the limit by 1.2 GB." in text_of(level)
    assert 'aria-valuetext="11.2 GB of 10.0 GB: over the limit by 1.2 GB"' in level
    assert "Over the limit by 1.2 GB: no room left for uploads (your limit is 10.0 GB)." in (
        text_of(html)
    )
    assert 'class="usage-meter-summary usage-over"' in html
    assert "left to upload" not in html


def test_a_meter_near_its_limit_cautions(facility: Facility, researcher: User) -> None:
    account = factories.quota(facility=facility, user=researcher, hard=10 * GB)
    using(account, 9_200_000_000)
    html = meter(researcher, facility)
    level = user_level(html)
    assert 'class="usage-level usage-caution"' in level
    assert "Close to the limit: 92% used." in text_of(level)
    assert 'aria-valuetext="9.2 GB of 10.0 GB: close to the limit: 92% used"' in level
    assert "800.0 MB left to upload — close to the limit: 92% used." in text_of(html)
    # The bar turns at 90 % of the limit (the browser's own colouring agrees).
    assert 'low="9000000000" high="9000000000" optimum="0"' in level


def test_past_the_soft_limit_cautions_and_says_so(facility: Facility, researcher: User) -> None:
    account = factories.quota(facility=facility, user=researcher, soft=5 * GB, hard=10 * GB)
    using(account, 6 * GB)
    level = user_level(meter(researcher, facility))
    assert 'class="usage-level usage-caution"' in level
    assert "Past the warning level, 60% of the limit used." in text_of(level)
    assert 'low="5000000000" high="5000000000"' in level


def test_at_the_limit_reads_full_and_well_within_reads_nothing_alarming(
    facility: Facility, researcher: User
) -> None:
    account = factories.quota(facility=facility, user=researcher, hard=10 * GB)
    using(account, 10 * GB)
    full = meter(researcher, facility)
    assert 'class="usage-level usage-full"' in user_level(full)
    assert "At the limit." in text_of(user_level(full))
    assert "Full: no room left for uploads (your limit reached)." in text_of(full)

    using(account, 2 * GB)
    fine = meter(researcher, facility)
    level = user_level(fine)
    assert 'class="usage-level usage-ok"' in level
    assert "usage-level-status" not in level
    assert 'aria-valuetext="2.0 GB of 10.0 GB"' in level
    assert "8.0 GB left to upload." in text_of(fine)


def test_the_staging_meter_says_review_copies_count_there(
    facility: Facility, researcher: User
) -> None:
    staging = text_of(meter(researcher, facility))
    assert f"Storage: Staging (uploads and review copies) at {facility.name}" in staging
    assert "the review copies made of your images" in staging
    archive = text_of(meter(researcher, facility, "archive"))
    assert "review copies" not in archive
    assert "Storage: Archive (published)" in archive


def test_my_storage_names_staging_by_what_it_holds(facility: Facility, researcher: User) -> None:
    from tests.conftest import signed_in

    page = signed_in(researcher).get("/account/usage/").content.decode()
    assert '<option value="staging" >Staging (uploads and review copies)</option>' in page
    usage = client_for(researcher).get("/api/v1/quota/usage/").json()
    assert usage[0]["areas"][0]["label"] == "Staging (uploads and review copies)"


def test_the_facility_dashboard_says_how_far_over_a_quota_is(
    facility: Facility, facility_admin: User, researcher: User
) -> None:
    from tests.conftest import signed_in

    account = factories.quota(facility=facility, user=researcher, hard=10 * GB)
    using(account, 11_200_000_000)
    page = signed_in(facility_admin).get(f"/facility/{facility.slug}/").content.decode()
    assert "<strong>over the limit by 1.2 GB</strong>" in page
    using(account, 10 * GB)
    page = signed_in(facility_admin).get(f"/facility/{facility.slug}/").content.decode()
    assert "<strong>full now</strong>" in page
