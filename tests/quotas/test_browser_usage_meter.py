"""In a real browser: a meter over its limit is drawn red and says by how much; one near its
limit is drawn in the caution colour; one well within it stays green. The colour is read
back from the rendered bar, the words from what a screen reader is given."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from submissions.accounts.models import Role
from submissions.quotas.models import QuotaAccount
from tests import factories
from tests.browser import ARTIFACTS, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"
GB = 10**9


def bar_colour(meter: Any) -> tuple[int, int, int]:
    """The colour of the filled part of a <meter>, near its left end."""
    image = Image.open(io.BytesIO(meter.screenshot())).convert("RGB")
    return image.getpixel((4, image.height // 2))  # type: ignore[return-value]


def colour_name(rgb: tuple[int, int, int]) -> str:
    """Which of the stylesheet's colours a pixel is: --bad #cf222e, caution #d4a72c, --ok
    #1a7f37 (anything else by its value)."""
    red, green, blue = rgb
    if red > 150 and green < 80:
        return "red"
    if red > 180 and 130 < green < 200 and blue < 90:
        return "amber"
    if green > 100 and red < 60:
        return "green"
    return str(rgb)


def test_meters_over_near_and_within_their_limits_look_different(
    live_server: Any, page: Any
) -> None:
    facility = factories.FacilityFactory(name="Light Microscopy Core", slug="lmc")
    group = factories.GroupFactory(facility=facility, name="Cell Biology Lab")
    researcher = factories.member(facility=facility, role=Role.RESEARCHER, group=group)
    over = factories.quota(facility=facility, user=researcher, hard=10 * GB)
    near = factories.quota(facility=facility, user=researcher, hard=10 * GB, area="archive")
    within = factories.quota(facility=facility, group=group, hard=100 * GB)
    QuotaAccount.objects.filter(pk=over.pk).update(used_bytes=11_200_000_000)
    QuotaAccount.objects.filter(pk=near.pk).update(used_bytes=9_200_000_000)
    QuotaAccount.objects.filter(pk=within.pk).update(used_bytes=11_200_000_000)

    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server.url, researcher.email, PASSWORD)
    page.goto(f"{live_server.url}/account/usage/")
    staging = page.locator("section.usage-meter[data-area=staging]")
    archive = page.locator("section.usage-meter[data-area=archive]")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("section.usage-facility").screenshot(path=str(ARTIFACTS / "quota-meters.png"))

    over_bar = staging.get_by_role("meter", name="You")
    assert over_bar.get_attribute("aria-valuetext") == (
        "11.2 GB of 10.0 GB: over the limit by 1.2 GB"
    )
    assert "Over the limit by 1.2 GB" in staging.inner_text()
    assert "staging holds the files you upload" in staging.inner_text().lower()
    near_bar = archive.get_by_role("meter", name="You")
    assert near_bar.get_attribute("aria-valuetext") == (
        "9.2 GB of 10.0 GB: close to the limit: 92% used"
    )
    within_bar = staging.get_by_role("meter", name="Group Cell Biology Lab")
    assert within_bar.get_attribute("aria-valuetext") == "11.2 GB of 100.0 GB"

    assert colour_name(bar_colour(over_bar)) == "red"
    assert colour_name(bar_colour(near_bar)) == "amber"
    assert colour_name(bar_colour(within_bar)) == "green"
