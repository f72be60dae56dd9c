"""Every review decision through the API: scoped, validated, in the OpenAPI schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission, SubmissionStatus
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
S = SubmissionStatus


def url(submission: Submission, action: str = "") -> str:
    return f"/api/v1/review/submissions/{submission.pk}/{action}"


def test_schema_lists_the_review_endpoints(api: APIClient) -> None:
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in [
        "/api/v1/review/facilities/{slug}/queue/",
        "/api/v1/review/submissions/{id}/",
        "/api/v1/review/submissions/{id}/claim/",
        "/api/v1/review/submissions/{id}/assign/",
        "/api/v1/review/submissions/{id}/approve/",
        "/api/v1/review/submissions/{id}/reject/",
        "/api/v1/review/submissions/{id}/request-changes/",
        "/api/v1/review/submissions/{id}/comments/",
        "/api/v1/review/submissions/{id}/diff/",
        "/api/v1/review/submissions/{id}/fields/",
        "/api/v1/review/notification-preferences/",
    ]:
        assert path in schema["paths"], path


def test_the_whole_round_trip_through_the_api(
    submitted: Submission, curator: User, researcher: User
) -> None:
    as_curator, as_researcher = client_for(curator), client_for(researcher)
    claimed = as_curator.post(url(submitted, "claim/"))
    assert claimed.status_code == 200
    assert claimed.json()["status"] == S.IN_REVIEW
    assert claimed.json()["assignee"]["id"] == curator.pk

    requested = as_curator.post(
        url(submitted, "request-changes/"),
        {
            "message": "Two fields need work.",
            "points": [
                {"field": "study.authors.0.orcid", "message": "Add the ORCID iD"},
                {"field": "study.licence", "message": "Use CC-BY-4.0 or CC0"},
            ],
        },
        format="json",
    )
    assert requested.status_code == 201, requested.json()
    assert [p["field"] for p in requested.json()["points"]] == [
        "study.authors.0.orcid",
        "study.licence",
    ]

    detail = as_researcher.get(url(submitted)).json()
    assert detail["open_change_request"]["message"] == "Two fields need work."
    fixed = as_researcher.patch(
        url(submitted, "fields/"),
        {
            "changes": {
                "study.authors.0.orcid": "0000-0001-5109-3700",
                "study.licence": "https://creativecommons.org/publicdomain/zero/1.0/",
            }
        },
        format="json",
    )
    assert fixed.status_code == 200, fixed.json()
    assert as_researcher.post(f"/api/v1/submissions/{submitted.pk}/submit/").status_code == 200

    diff = as_curator.get(url(submitted, "diff/")).json()
    assert {(c["path"], c["new"]) for c in diff["metadata"]} == {
        ("study.authors.0.orcid", "0000-0001-5109-3700"),
        ("study.licence", "https://creativecommons.org/publicdomain/zero/1.0/"),
    }
    assert diff["files"] == []
    approved = as_curator.post(url(submitted, "approve/"), {"note": "Thanks!"}, format="json")
    assert approved.json()["status"] == S.APPROVED
    again = as_curator.post(url(submitted, "approve/"), {"note": "Thanks!"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    timeline = as_researcher.get(url(submitted, "timeline/")).json()
    assert [e["to_status"] for e in timeline if e["kind"] == "status"] == [
        "submitted",
        "in_review",
        "changes_requested",
        "submitted",
        "approved",
    ]


def test_researchers_may_not_decide_and_strangers_see_nothing(
    submitted: Submission, researcher: User, outsider: User
) -> None:
    own = client_for(researcher).post(url(submitted, "approve/"), {}, format="json")
    assert own.status_code == 403
    for action in ["", "claim/", "approve/", "reject/", "request-changes/", "comments/", "diff/"]:
        client = client_for(outsider)
        response = (
            client.get(url(submitted, action))
            if action in {"", "comments/", "diff/"}
            else (
                client.post(url(submitted, action), {"reason": "x", "message": "x"}, format="json")
            )
        )
        assert response.status_code == 404, action
    assert client_for(outsider).get("/api/v1/review/submissions/not-a-uuid/").status_code == 404


def test_reject_and_request_changes_need_their_words(submitted: Submission, curator: User) -> None:
    client = client_for(curator)
    rejected = client.post(url(submitted, "reject/"), {"reason": ""}, format="json")
    assert rejected.status_code == 400
    assert "reason" in rejected.json()["fields"]
    bad = client.post(
        url(submitted, "request-changes/"),
        {"message": "x", "points": [{"field": "a..b", "message": "y"}]},
        format="json",
    )
    assert bad.status_code == 400
    assert "points.0.field" in bad.json()["fields"]
    assert client.get(url(submitted)).json()["status"] == S.SUBMITTED


def test_assign_to_a_colleague_or_nobody(
    submitted: Submission, curator: User, other_curator: User, researcher: User
) -> None:
    client = client_for(curator)
    given = client.post(url(submitted, "assign/"), {"assignee": other_curator.pk}, format="json")
    assert given.json()["assignee"]["id"] == other_curator.pk
    wrong = client.post(url(submitted, "assign/"), {"assignee": researcher.pk}, format="json")
    assert wrong.status_code == 400
    assert "assignee" in wrong.json()["fields"]
    nobody = client.post(url(submitted, "assign/"), {"assignee": None}, format="json")
    assert nobody.json()["assignee"] is None


def test_comments_thread_with_field_pointer(
    submitted: Submission, curator: User, researcher: User
) -> None:
    file_id = str(submitted.files.get().pk)
    posted = client_for(curator).post(
        url(submitted, "comments/"),
        {"body": "Which stain?", "field": "biosamples.0.title"},
        format="json",
    )
    assert posted.status_code == 201
    # Only a field of this description: what the researcher can find in the editor.
    unknown = client_for(curator).post(
        url(submitted, "comments/"), {"body": "?", "field": "biosample.cell_line"}, format="json"
    )
    assert unknown.status_code == 400
    assert unknown.json()["fields"]["field"] == [
        "Choose one of this submission's fields from the list."
    ]
    client_for(researcher).post(
        url(submitted, "comments/"), {"body": "MitoTracker", "file": file_id}, format="json"
    )
    thread = client_for(researcher).get(url(submitted, "comments/")).json()
    assert [(c["body"], c["field"], c["file"]) for c in thread] == [
        ("Which stain?", "biosamples.0.title", None),
        ("MitoTracker", "", file_id),
    ]


def test_notification_preferences(researcher: User) -> None:
    client = client_for(researcher)
    assert client.get("/api/v1/review/notification-preferences/").json() == {"muted": []}
    saved = client.put(
        "/api/v1/review/notification-preferences/", {"muted": ["approved", "digest"]}, format="json"
    )
    assert saved.json() == {"muted": ["approved", "digest"]}
    bad = client.put(
        "/api/v1/review/notification-preferences/", {"muted": ["everything"]}, format="json"
    )
    assert bad.status_code == 400
