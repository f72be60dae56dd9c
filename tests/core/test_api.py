"""The REST API skeleton: auth, schema, docs and one error shape."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from submissions.accounts.models import User
from submissions.accounts.tokens import issue_token
from tests.conftest import client_for
from tests.factories import SubmissionFactory

pytestmark = pytest.mark.django_db


def test_schema_is_openapi_3_and_lists_submission_endpoints(api: APIClient) -> None:
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/submissions/" in schema["paths"]
    assert "/api/v1/submissions/{id}/submit/" in schema["paths"]


def test_docs_page_serves_without_a_cdn(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"cdn.jsdelivr" not in response.content
    assert b"swagger-ui" in response.content


def test_anonymous_gets_json_error_with_code(api: APIClient) -> None:
    response = api.get("/api/v1/me/")
    assert response.status_code in {401, 403}
    assert response.json()["code"] == "not_authenticated"
    assert set(response.json()) == {"code", "message", "fields"}


def test_token_authentication_works(api: APIClient, researcher: User) -> None:
    _token, key = issue_token(user=researcher)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["email"] == researcher.email
    assert response.json()["memberships"][0]["role"] == "researcher"


def test_session_authentication_requires_csrf(researcher: User) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(researcher)
    response = client.post("/api/v1/me/tokens/")
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]


def test_validation_error_lists_fields(researcher: User) -> None:
    response = client_for(researcher).post("/api/v1/submissions/", {"title": ""}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) >= {"facility", "title"}


def test_someone_elses_submission_is_404_not_403(researcher: User, outsider: User) -> None:
    submission = SubmissionFactory(owner=researcher, facility=researcher.memberships.get().facility)
    response = client_for(outsider).get(f"/api/v1/submissions/{submission.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client_for(outsider).get("/api/v1/submissions/not-a-uuid/").status_code == 404
