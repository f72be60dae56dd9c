"""The facility admin pages and a researcher's storage page, through Django's test client."""

from __future__ import annotations

import pytest
from django.test import Client

from submissions.accounts.models import Facility, FacilityInvitation, Membership, Role, User
from submissions.quotas.models import QuotaAccount, QuotaIncreaseRequest
from submissions.quotas.services import ledger as quota
from tests import factories

pytestmark = pytest.mark.django_db
MB = 10**6


@pytest.fixture
def home(facility_admin: User) -> Facility:
    return facility_admin.memberships.get().facility


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_admin_pages_render(home: Facility, facility_admin: User, researcher: User) -> None:
    reservation = quota.reserve(user=researcher, facility=home, nbytes=3 * MB)
    quota.settle(reservation=reservation, actual_bytes=3 * MB)
    client = logged_in(facility_admin)
    assert client.get("/facility/").url == f"/facility/{home.slug}/"
    for path in ("", "members/", "quotas/", "requests/", "audit/", "?area=archive"):
        response = client.get(f"/facility/{home.slug}/{path}")
        assert response.status_code == 200, path
    dashboard = client.get(f"/facility/{home.slug}/").content.decode()
    assert '<svg class="chart"' in dashboard
    assert 'role="img"' in dashboard
    assert "Data table" in dashboard


def test_other_facilities_admin_gets_404_and_researcher_403(
    home: Facility, researcher: User
) -> None:
    other_admin = factories.member(facility=factories.FacilityFactory(), role=Role.FACILITY_ADMIN)
    assert logged_in(other_admin).get(f"/facility/{home.slug}/quotas/").status_code == 404
    assert logged_in(researcher).get(f"/facility/{home.slug}/quotas/").status_code == 403
    assert logged_in(researcher).get("/facility/").status_code == 404


def test_quota_form_takes_human_sizes_and_shows_errors_at_the_field(
    home: Facility, facility_admin: User
) -> None:
    client = logged_in(facility_admin)
    form = {
        "form_id": "q-staging-facility-0",
        "scope": "facility",
        "area": "staging",
        "subject_id": "",
    }
    saved = client.post(
        f"/facility/{home.slug}/quotas/", {**form, "soft_limit": "1.5 TB", "hard_limit": "2 TB"}
    )
    assert saved.status_code == 302
    account = QuotaAccount.objects.get(scope="facility", area="staging")
    assert (account.soft_limit, account.hard_limit) == (1_500_000_000_000, 2 * 10**12)
    bad = client.post(
        f"/facility/{home.slug}/quotas/", {**form, "soft_limit": "", "hard_limit": "lots"}
    )
    assert bad.status_code == 400
    page = bad.content.decode()
    assert 'aria-invalid="true"' in page
    assert "Write a size such as" in page
    assert 'value="lots"' in page  # what was typed is kept
    account.refresh_from_db()
    assert account.hard_limit == 2 * 10**12


def test_invite_form_keeps_input_on_error(home: Facility, facility_admin: User) -> None:
    client = logged_in(facility_admin)
    bad = client.post(f"/facility/{home.slug}/members/", {"email": "nope", "role": "researcher"})
    assert bad.status_code == 400
    assert "Enter a valid e-mail address." in bad.content.decode()
    ok = client.post(
        f"/facility/{home.slug}/members/", {"email": "lab.head@example.org", "role": "researcher"}
    )
    assert ok.status_code == 302
    assert FacilityInvitation.objects.filter(email="lab.head@example.org").exists()


def test_accepting_an_invitation_in_the_browser(home: Facility, facility_admin: User) -> None:
    client = logged_in(facility_admin)
    client.post(
        f"/facility/{home.slug}/members/", {"email": "joiner@example.org", "role": "researcher"}
    )
    token = FacilityInvitation.objects.get().token
    joiner = factories.UserFactory(email="joiner@example.org")
    page = logged_in(joiner).get(f"/facility/invitations/{token}/")
    assert "Accept and join" in page.content.decode()
    assert logged_in(joiner).post(f"/facility/invitations/{token}/").status_code == 302
    assert Membership.objects.filter(user=joiner, facility=home).exists()
    assert Client().get(f"/facility/invitations/{token}/").status_code == 302  # sign in first


def test_member_role_change_and_removal_from_the_page(
    home: Facility, facility_admin: User, researcher: User
) -> None:
    client = logged_in(facility_admin)
    member = researcher.memberships.get()
    client.post(f"/facility/{home.slug}/members/{member.pk}/", {"role": "curator", "group": ""})
    member.refresh_from_db()
    assert (member.role, member.group) == ("curator", None)
    client.post(f"/facility/{home.slug}/members/{member.pk}/remove/")
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_researcher_sees_usage_and_can_ask_for_more(home: Facility, researcher: User) -> None:
    factories.quota(facility=home, user=researcher, soft=4 * MB, hard=5 * MB)
    quota.reserve(user=researcher, facility=home, nbytes=2 * MB)
    client = logged_in(researcher)
    page = client.get("/account/usage/").content.decode()
    assert "<meter" in page
    assert "3.0 MB</strong> left to upload" in page
    assert 'class="fit-check"' in page
    missing = client.post(
        "/account/usage/",
        {"facility": home.slug, "scope": "user", "area": "staging", "requested": "", "reason": ""},
    )
    assert missing.status_code == 400
    assert "Say how much you need." in missing.content.decode()
    sent = client.post(
        "/account/usage/",
        {
            "facility": home.slug,
            "scope": "user",
            "area": "staging",
            "requested": "20 MB",
            "reason": "More tiles",
        },
    )
    assert sent.status_code == 302
    request = QuotaIncreaseRequest.objects.get()
    assert request.requested_hard_limit == 20 * MB
    admin = factories.member(facility=home, role=Role.FACILITY_ADMIN)
    logged_in(admin).post(
        f"/facility/{home.slug}/requests/{request.pk}/decide/",
        {"decision": "deny", "note": "Not now"},
    )
    request.refresh_from_db()
    assert request.status == "denied"


def test_usage_meter_include_renders_with_the_context_helper(
    home: Facility, researcher: User
) -> None:
    from django.template.loader import render_to_string

    from submissions.quotas.selectors import usage_meter_context

    factories.quota(facility=home, hard=10 * MB)
    html = render_to_string(
        "quotas/_usage_meter.html", usage_meter_context(user=researcher, facility=home)
    )
    assert 'data-remaining="10000000"' in html
    assert "10.0 MB</strong> left" in html


def test_chargeback_page_download(home: Facility, facility_admin: User) -> None:
    response = logged_in(facility_admin).get(
        f"/facility/{home.slug}/usage.csv?from=2025-01&to=2025-03"
    )
    assert response.status_code == 200
    assert response.content.decode().startswith("month,facility,group,area")


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1_500_000_000_000, 2 * 10**12, 1_234_567, 2**40])
def test_limits_shown_in_forms_read_back_unchanged(size: int) -> None:
    from submissions.core.units import format_limit, parse_bytes

    assert parse_bytes(format_limit(size), field="x") == size
