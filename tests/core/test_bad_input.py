"""Bad request bodies get a 4xx JSON answer `{code, message, fields}` on every API path, never
a 500 or an HTML page: bodies nested a thousand levels deep, bodies over the size limit,
unknown addresses."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from submissions.accounts.models import User
from submissions.accounts.tokens import issue_token
from submissions.lifecycle.models import Submission
from tests import factories
from tests.conftest import client_for, signed_in


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _assert_json_error(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.content[:300]  # type: ignore[attr-defined]
    assert response["Content-Type"].startswith("application/json")  # type: ignore[index]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    return body


@pytest.fixture
def own_draft(researcher: User, facility: factories.Facility) -> Submission:
    return factories.CompleteSubmissionFactory(owner=researcher, facility=facility)


@pytest.mark.parametrize("depth", [100, 950, 1_000, 100_000])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/submissions/"),
        ("PATCH", "/api/v1/submissions/{id}/"),
        ("POST", "/api/v1/uploads/"),
        ("PATCH", "/api/v1/review/submissions/{id}/fields/"),
        ("POST", "/api/v1/quota/check/"),
        ("POST", "/api/v1/me/tokens/"),
    ],
)
def test_deeply_nested_json_is_a_400_on_any_api_path(
    researcher: User, own_draft: Submission, method: str, path: str, depth: int
) -> None:
    # Python's JSON decoder recurses once per level: ~1,000 levels raised RecursionError
    # (a 500); shallower but still absurd nesting is refused before any code walks it.
    response = client_for(researcher).generic(
        method, path.format(id=own_draft.pk), _nested(depth), content_type="application/json"
    )
    body = _assert_json_error(response, 400, "parse_error")
    assert "nests more than" in str(body["message"])


def test_deep_values_inside_an_object_are_refused_too(
    researcher: User, own_draft: Submission
) -> None:
    metadata = {"study": {"title": "x"}}
    leaf: dict[str, object] = metadata["study"]
    for _ in range(200):
        leaf["deeper"] = {}
        leaf = leaf["deeper"]  # type: ignore[assignment]
    response = client_for(researcher).patch(
        f"/api/v1/submissions/{own_draft.pk}/", {"metadata": metadata}, format="json"
    )
    _assert_json_error(response, 400, "parse_error")
    own_draft.refresh_from_db()
    assert "deeper" not in own_draft.metadata["study"]  # nothing was saved


def test_ordinary_nesting_still_works(researcher: User, facility: factories.Facility) -> None:
    response = client_for(researcher).post(
        "/api/v1/submissions/",
        {
            "title": "Nested enough",
            "facility": facility.slug,
            "metadata": factories.complete_rembi(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_over_the_limit_is_a_413_json_answer(
    researcher: User, settings: object, content_type: str
) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # type: ignore[attr-defined]
    if content_type == "application/json":
        body = json.dumps({"title": "x" * (limit + 10)})
    else:
        body = "title=" + "x" * (limit + 10)
    _token, key = issue_token(user=researcher)
    response = Client().generic(
        "POST",
        "/api/v1/submissions/",
        body,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    body_json = _assert_json_error(response, 413, "too_large")
    assert "/api/v1/uploads/" in str(body_json["message"])  # says where files go instead


def test_a_body_over_the_limit_read_before_any_view_is_json_too(
    researcher: User, settings: object
) -> None:
    """With a session, the CSRF check reads the form body in middleware-like code before DRF's
    view runs; on API paths that too answers JSON."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # type: ignore[attr-defined]
    client = signed_in(researcher)
    response = client.generic(
        "POST",
        "/api/v1/me/tokens/",
        "name=" + "x" * (limit + 10),
        content_type="application/x-www-form-urlencoded",
    )
    _assert_json_error(response, 413, "too_large")


def test_pages_keep_their_html_error_for_an_oversized_form(
    researcher: User, settings: object
) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # type: ignore[attr-defined]
    response = signed_in(researcher).post("/account/", {"full_name": "x" * (limit + 10)})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_unknown_api_address_is_a_json_404(researcher: User) -> None:
    response = client_for(researcher).get("/api/v1/no-such-thing/")
    _assert_json_error(response, 404, "not_found")


def test_unknown_page_is_still_the_html_404(researcher: User) -> None:
    response = signed_in(researcher).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
