"""Facility admins manage members, invitations, quotas and requests; others see nothing."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from submissions.accounts.models import (
    Facility,
    FacilityAuditEvent,
    FacilityInvitation,
    Membership,
    Role,
    User,
)
from submissions.quotas.models import QuotaAccount
from submissions.quotas.services import ledger as quota
from submissions.quotas.services import reports as usage_reports
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
MB = 10**6


@pytest.fixture
def home(facility_admin: User) -> Facility:
    return facility_admin.memberships.get().facility


def base(home: Facility) -> str:
    return f"/api/v1/facilities/{home.slug}"


def test_admin_of_another_facility_gets_404_everywhere(home: Facility, researcher: User) -> None:
    other_admin = factories.member(facility=factories.FacilityFactory(), role=Role.FACILITY_ADMIN)
    client = client_for(other_admin)
    membership = researcher.memberships.get()
    for path in ("members/", "invitations/", "quotas/", "usage/", "quota-requests/", "audit/"):
        assert client.get(f"{base(home)}/{path}").status_code == 404, path
    assert client.get(f"{base(home)}/chargeback/?from=2025-01&to=2025-02").status_code == 404
    assert client.delete(f"{base(home)}/members/{membership.pk}/").status_code == 404
    assert (
        client.put(
            f"{base(home)}/quotas/",
            {"scope": "facility", "area": "staging", "soft_limit": None, "hard_limit": 1},
            format="json",
        ).status_code
        == 404
    )
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert not QuotaAccount.objects.filter(hard_limit=1).exists()


def test_researcher_of_the_facility_is_refused(home: Facility, researcher: User) -> None:
    response = client_for(researcher).get(f"{base(home)}/members/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_setting_a_quota_records_an_audit_event(
    home: Facility, facility_admin: User, researcher: User
) -> None:
    response = client_for(facility_admin).put(
        f"{base(home)}/quotas/",
        {
            "scope": "user",
            "area": "staging",
            "user": researcher.pk,
            "soft_limit": 8 * MB,
            "hard_limit": 10 * MB,
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["hard_limit"] == 10 * MB
    event = FacilityAuditEvent.objects.get(kind="quota.changed")
    assert event.actor == facility_admin
    assert event.data["before"] == {"soft_limit": None, "hard_limit": None}
    assert event.data["after"] == {"soft_limit": 8 * MB, "hard_limit": 10 * MB}
    audit = client_for(facility_admin).get(f"{base(home)}/audit/").json()
    assert audit["results"][0]["kind"] == "quota.changed"


def test_soft_above_hard_is_refused_at_the_field(home: Facility, facility_admin: User) -> None:
    response = client_for(facility_admin).put(
        f"{base(home)}/quotas/",
        {"scope": "facility", "area": "staging", "soft_limit": 10, "hard_limit": 5},
        format="json",
    )
    assert response.status_code == 400
    assert "soft_limit" in response.json()["fields"]
    assert not FacilityAuditEvent.objects.exists()


def test_quota_for_someone_elses_group_is_404(home: Facility, facility_admin: User) -> None:
    foreign = factories.GroupFactory()
    response = client_for(facility_admin).put(
        f"{base(home)}/quotas/",
        {
            "scope": "group",
            "area": "staging",
            "group": foreign.pk,
            "soft_limit": None,
            "hard_limit": 5,
        },
        format="json",
    )
    assert response.status_code == 404


def test_invite_sends_mail_and_accepting_creates_the_membership(
    home: Facility, facility_admin: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(facility_admin).post(
            f"{base(home)}/invitations/",
            {"email": "new.person@example.org", "role": "curator"},
            format="json",
        )
    assert response.status_code == 201
    invitation = FacilityInvitation.objects.get()
    assert mail.outbox[0].to == ["new.person@example.org"]
    assert invitation.token in mail.outbox[0].body
    wrong = factories.UserFactory(email="someone.else@example.org")
    refused = client_for(wrong).post(f"/api/v1/invitations/{invitation.token}/accept/")
    assert refused.status_code == 403
    invited = factories.UserFactory(email="New.Person@example.org")
    accepted = client_for(invited).post(f"/api/v1/invitations/{invitation.token}/accept/")
    assert accepted.status_code == 200
    assert Membership.objects.get(user=invited, facility=home).role == Role.CURATOR
    again = client_for(invited).post(f"/api/v1/invitations/{invitation.token}/accept/")
    assert again.status_code == 409


def test_expired_or_revoked_invitations_do_nothing(home: Facility, facility_admin: User) -> None:
    client = client_for(facility_admin)
    first = client.post(
        f"{base(home)}/invitations/", {"email": "late@example.org"}, format="json"
    ).json()
    FacilityInvitation.objects.filter(pk=first["id"]).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    late = factories.UserFactory(email="late@example.org")
    token = FacilityInvitation.objects.get(pk=first["id"]).token
    assert client_for(late).post(f"/api/v1/invitations/{token}/accept/").status_code == 409
    second = client.post(
        f"{base(home)}/invitations/", {"email": "gone@example.org"}, format="json"
    ).json()
    assert client.delete(f"{base(home)}/invitations/{second['id']}/").status_code == 204
    gone_token = FacilityInvitation.objects.get(pk=second["id"]).token
    gone = factories.UserFactory(email="gone@example.org")
    assert client_for(gone).post(f"/api/v1/invitations/{gone_token}/accept/").status_code == 404


def test_inviting_a_member_or_a_bad_address_is_refused(
    home: Facility, facility_admin: User, researcher: User
) -> None:
    client = client_for(facility_admin)
    member = client.post(f"{base(home)}/invitations/", {"email": researcher.email}, format="json")
    assert "already a member" in member.json()["fields"]["email"][0]
    bad = client.post(f"{base(home)}/invitations/", {"email": "not an address"}, format="json")
    assert bad.json()["fields"]["email"] == ["Enter a valid e-mail address."]


def test_change_role_and_remove_but_never_the_last_admin(
    home: Facility, facility_admin: User, researcher: User
) -> None:
    client = client_for(facility_admin)
    member = researcher.memberships.get()
    changed = client.patch(f"{base(home)}/members/{member.pk}/", {"role": "curator"}, format="json")
    assert changed.json()["role"] == "curator"
    admin_membership = facility_admin.memberships.get()
    demote = client.patch(
        f"{base(home)}/members/{admin_membership.pk}/", {"role": "researcher"}, format="json"
    )
    assert demote.status_code == 409
    assert client.delete(f"{base(home)}/members/{admin_membership.pk}/").status_code == 409
    assert client.delete(f"{base(home)}/members/{member.pk}/").status_code == 204
    assert not Membership.objects.filter(pk=member.pk).exists()
    kinds = list(FacilityAuditEvent.objects.values_list("kind", flat=True))
    assert sorted(kinds) == ["member.changed", "member.removed"]


def test_increase_request_approved_raises_the_limit_and_tells_the_researcher(
    home: Facility, facility_admin: User, researcher: User, django_capture_on_commit_callbacks
) -> None:
    factories.quota(facility=home, user=researcher, soft=4 * MB, hard=5 * MB)
    with django_capture_on_commit_callbacks(execute=True):
        asked = client_for(researcher).post(
            "/api/v1/quota/requests/",
            {
                "facility": home.slug,
                "scope": "user",
                "area": "staging",
                "requested_hard_limit": 50 * MB,
                "reason": "Light-sheet time series",
            },
            format="json",
        )
    assert asked.status_code == 201, asked.json()
    assert facility_admin.email in mail.outbox[0].to
    twice = client_for(researcher).post(
        "/api/v1/quota/requests/",
        {"facility": home.slug, "scope": "user", "requested_hard_limit": 60 * MB, "reason": "more"},
        format="json",
    )
    assert twice.status_code == 409
    pk = asked.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        approved = client_for(facility_admin).post(
            f"{base(home)}/quota-requests/{pk}/approve/", {"note": "ok"}, format="json"
        )
    assert approved.json()["status"] == "approved"
    assert QuotaAccount.objects.get(user=researcher, area="staging").hard_limit == 50 * MB
    assert mail.outbox[-1].to == [researcher.email]
    assert "approved" in mail.outbox[-1].body
    double = client_for(facility_admin).post(
        f"{base(home)}/quota-requests/{pk}/deny/", {}, format="json"
    )
    assert double.status_code == 409


def test_request_below_current_limit_or_without_reason_is_refused(
    home: Facility, researcher: User
) -> None:
    factories.quota(facility=home, user=researcher, hard=5 * MB)
    response = client_for(researcher).post(
        "/api/v1/quota/requests/",
        {"facility": home.slug, "scope": "user", "requested_hard_limit": 4 * MB, "reason": " "},
        format="json",
    )
    assert response.status_code == 400
    assert "reason" in response.json()["fields"]


def test_dashboard_has_series_largest_growth_and_projection(
    home: Facility, facility_admin: User, researcher: User
) -> None:
    factories.quota(facility=home, hard=100 * MB)
    submission = factories.SubmissionFactory(owner=researcher, facility=home)
    reservation = quota.reserve(
        user=researcher, facility=home, nbytes=20 * MB, submission=submission
    )
    quota.settle(reservation=reservation, actual_bytes=20 * MB)
    account = QuotaAccount.objects.get(scope="facility", area="staging")
    today = timezone.localdate()
    for back, used in ((10, 0), (5, 10 * MB)):
        account.snapshots.create(day=today - timedelta(days=back), used_bytes=used, held_bytes=0)
    data = client_for(facility_admin).get(f"{base(home)}/usage/?area=staging").json()
    assert data["facility_usage"][0]["points"][-1]["bytes"] == 20 * MB
    assert data["largest_submissions"][0]["bytes"] == 20 * MB
    assert data["growth"][-1]["staging_bytes_added"] == 20 * MB
    [projection] = data["projections"]
    assert projection["state"] == "filling"
    assert projection["bytes_per_day"] > 0
    assert date.fromisoformat(projection["full_on"]) > today


def test_chargeback_csv_has_a_row_per_group_and_month(
    home: Facility, facility_admin: User, researcher: User
) -> None:
    group = researcher.memberships.get().group
    reservation = quota.reserve(user=researcher, facility=home, nbytes=3 * MB)
    quota.settle(reservation=reservation, actual_bytes=3 * MB)
    usage_reports.take_snapshots()
    month = timezone.localdate().strftime("%Y-%m")
    response = client_for(facility_admin).get(f"{base(home)}/chargeback/?from={month}&to={month}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    staging = [r for r in rows if r["area"] == "staging"]
    assert [(r["group"], r["average_bytes"], r["bytes_added"]) for r in staging] == [
        (group.name, str(3 * MB), str(3 * MB))
    ]
    bad = client_for(facility_admin).get(f"{base(home)}/chargeback/?from=2025-13&to={month}")
    assert bad.status_code == 400
    assert "from" in bad.json()["fields"]


def test_chargeback_cells_never_start_a_formula(home: Facility, facility_admin: User) -> None:
    group = factories.GroupFactory(facility=home, name='=HYPERLINK("http://x")')
    person = factories.member(facility=home, role=Role.RESEARCHER, group=group)
    reservation = quota.reserve(user=person, facility=home, nbytes=MB)
    quota.settle(reservation=reservation, actual_bytes=MB)
    month = timezone.localdate().strftime("%Y-%m")
    body = (
        client_for(facility_admin)
        .get(f"{base(home)}/chargeback/?from={month}&to={month}")
        .content.decode()
    )
    assert "'=HYPERLINK" in body
