"""The admission check answers before any byte moves: fits (200) or quota_exceeded (409)."""

from __future__ import annotations

import pytest

from submissions.accounts.models import Facility, User
from submissions.quotas.models import QuotaReservation
from submissions.quotas.services import ledger as quota
from tests import factories
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/quota/check/"
MB = 10**6


@pytest.fixture
def home(researcher: User) -> Facility:
    return researcher.memberships.get().facility


def manifest(home: Facility, *sizes: int) -> dict[str, object]:
    return {
        "facility": home.slug,
        "files": [{"name": f"f{i}.tif", "size": s} for i, s in enumerate(sizes)],
    }


def test_files_that_fit_get_200_with_usage(researcher: User, home: Facility) -> None:
    factories.quota(facility=home, user=researcher, soft=3 * MB, hard=10 * MB)
    quota.reserve(user=researcher, facility=home, nbytes=2 * MB)
    response = client_for(researcher).post(URL, manifest(home, MB, 2 * MB), format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["total_bytes"] == 3 * MB
    assert body["remaining_bytes"] == 8 * MB
    assert "soft limit" in body["warnings"][0]
    you = next(level for level in body["levels"] if level["scope"] == "user")
    assert (you["held_bytes"], you["hard_limit"]) == (2 * MB, 10 * MB)
    assert QuotaReservation.objects.count() == 1  # the check reserves nothing


def test_files_that_do_not_fit_get_409_quota_exceeded(researcher: User, home: Facility) -> None:
    factories.quota(facility=home, hard=5 * MB)
    response = client_for(researcher).post(URL, manifest(home, 3 * MB, 3 * MB), format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "quota_exceeded"
    assert "2 files" in body["message"]
    assert "6.0 MB" in body["message"]
    assert "5.0 MB left" in body["message"]


def test_bad_manifests_name_the_field(researcher: User, home: Facility) -> None:
    client = client_for(researcher)
    negative = client.post(URL, manifest(home, -1), format="json")
    assert negative.status_code == 400
    assert "files.0.size" in negative.json()["fields"]
    empty = client.post(URL, {"facility": home.slug, "files": []}, format="json")
    assert empty.json()["fields"] == {"files.non_field_errors": ["This list may not be empty."]}
    missing = client.post(URL, {"files": [{"name": "a"}]}, format="json")
    assert set(missing.json()["fields"]) >= {"facility", "files.0.size"}
    huge = client.post(URL, manifest(home, 2**63), format="json")
    assert huge.status_code == 400


def test_hostile_file_names_are_only_names(researcher: User, home: Facility) -> None:
    files = [
        {"name": "../../etc/passwd<script>;rm -rf", "size": 1},
        {"name": "x" * 1024, "size": 1},
    ]
    client = client_for(researcher)
    response = client.post(URL, {"facility": home.slug, "files": files}, format="json")
    assert response.status_code == 200
    null = client.post(
        URL, {"facility": home.slug, "files": [{"name": "a\x00b", "size": 1}]}, format="json"
    )
    assert null.status_code == 400
    assert "files.0.name" in null.json()["fields"]


def test_another_facility_is_404(outsider: User, home: Facility) -> None:
    response = client_for(outsider).post(URL, manifest(home, 1), format="json")
    assert response.status_code == 404
    unknown = client_for(outsider).post(
        URL, {"facility": "no-such", "files": [{"name": "a", "size": 1}]}, format="json"
    )
    assert unknown.status_code == 404


def test_anonymous_is_refused(api, home: Facility) -> None:  # type: ignore[no-untyped-def]
    assert api.post(URL, manifest(home, 1), format="json").status_code in {401, 403}


def test_my_usage_lists_levels_per_area(researcher: User, home: Facility) -> None:
    factories.quota(facility=home, user=researcher, hard=10 * MB, area="archive")
    response = client_for(researcher).get("/api/v1/quota/usage/")
    assert response.status_code == 200
    [facility] = response.json()
    assert facility["facility"] == home.slug
    archive = next(a for a in facility["areas"] if a["area"] == "archive")
    assert any(level["hard_limit"] == 10 * MB for level in archive["levels"])


def test_schema_lists_the_quota_endpoints(api) -> None:  # type: ignore[no-untyped-def]
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in (
        "/api/v1/quota/check/",
        "/api/v1/quota/usage/",
        "/api/v1/quota/requests/",
        "/api/v1/facilities/{slug}/members/",
        "/api/v1/facilities/{slug}/invitations/",
        "/api/v1/facilities/{slug}/quotas/",
        "/api/v1/facilities/{slug}/usage/",
        "/api/v1/facilities/{slug}/chargeback/",
        "/api/v1/facilities/{slug}/quota-requests/{id}/approve/",
        "/api/v1/facilities/{slug}/audit/",
    ):
        assert path in schema["paths"], path
