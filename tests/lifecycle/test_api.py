"""The submissions API: CRUD of drafts, every lifecycle action, visibility (404 for anyone
who may not see), field errors by dotted path, and everything in the OpenAPI schema."""

from __future__ import annotations

import pytest

from submissions.accounts.models import Role, User
from submissions.lifecycle.models import Submission
from tests import factories
from tests.conftest import client_for
from tests.factories import complete_rembi

pytestmark = pytest.mark.django_db
BASE = "/api/v1/submissions/"
REVIEW = "/api/v1/review/submissions/"


def test_researcher_creates_a_complete_description_through_the_api(
    researcher: User, facility
) -> None:  # type: ignore[no-untyped-def]
    api = client_for(researcher)
    created = api.post(BASE, {"facility": facility.slug, "title": "Draft"}, format="json")
    assert created.status_code == 201, created.json()
    url = f"{BASE}{created.json()['id']}/"
    assert api.get(f"{url}problems/").json()["ready"] is False
    updated = api.put(url, {"metadata": complete_rembi()}, format="json")
    assert updated.status_code == 200, updated.json()
    assert updated.json()["title"].startswith("Mitochondrial dynamics")
    problems = api.get(f"{url}problems/").json()
    assert problems == {"ready": False, "problems": {"files": [problems["problems"]["files"][0]]}}


def test_create_with_metadata_and_patch_title(researcher: User, facility) -> None:  # type: ignore[no-untyped-def]
    api = client_for(researcher)
    body = {"facility": facility.slug, "title": "t", "metadata": complete_rembi()}
    created = api.post(BASE, body, format="json").json()
    patched = api.patch(
        f"{BASE}{created['id']}/", {"title": "A new title that is long enough"}, format="json"
    )
    assert patched.status_code == 200
    assert patched.json()["metadata"]["study"]["title"] == "A new title that is long enough"
    assert patched.json()["metadata"]["biosamples"][0]["title"] == "HeLa cells"


def test_bad_input_answers_400_with_every_field_and_saves_nothing(
    draft: Submission, researcher: User
) -> None:
    api = client_for(researcher)
    bad = complete_rembi(
        description="x" * 1_048_576,
        licence="unknown",
        release_date="2026-13-01",
        authors=[{"name": "A", "orcid": "0000-0002-1825-0098"}],
        publications=[{"title": "P", "doi": "doi"}],
    )
    response = api.put(f"{BASE}{draft.pk}/", {"metadata": bad}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {
        "study.description",
        "study.licence",
        "study.release_date",
        "study.authors.0.orcid",
        "study.publications.0.doi",
    }
    draft.refresh_from_db()
    assert draft.metadata["study"]["description"] == ""


def test_put_needs_the_whole_document(draft: Submission, researcher: User) -> None:
    response = client_for(researcher).put(f"{BASE}{draft.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 400
    assert "metadata" in response.json()["fields"]


def test_script_in_metadata_is_stored_as_text(draft: Submission, researcher: User) -> None:
    hostile = "<script>alert('x')</script> Mitochondria of HeLa cells"
    response = client_for(researcher).patch(
        f"{BASE}{draft.pk}/", {"metadata": complete_rembi(title=hostile)}, format="json"
    )
    assert response.json()["metadata"]["study"]["title"] == hostile


def test_submit_refusal_lists_everything_then_double_submit_is_409(
    ready: Submission, draft: Submission, researcher: User
) -> None:
    api = client_for(researcher)
    refused = api.post(f"{BASE}{draft.pk}/submit/")
    assert refused.status_code == 400
    assert len(refused.json()["fields"]) >= 8
    assert api.post(f"{BASE}{ready.pk}/submit/", {"note": "hi"}, format="json").status_code == 200
    again = api.post(f"{BASE}{ready.pk}/submit/")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    kinds = [
        e["to_status"] for e in api.get(f"{BASE}{ready.pk}/events/").json() if e["kind"] == "status"
    ]
    assert kinds == ["submitted"]


def test_every_lifecycle_action_over_the_api(
    ready: Submission, researcher: User, curator: User
) -> None:
    """The researcher acts on /api/v1/submissions/, curators on /api/v1/review/."""
    owner, reviewer = client_for(researcher), client_for(curator)
    url = f"{BASE}{ready.pk}/"
    review = f"{REVIEW}{ready.pk}/"
    assert owner.post(f"{url}submit/").status_code == 200
    assert owner.post(f"{review}approve/").status_code == 403
    assert reviewer.post(f"{review}start-review/").json()["status"] == "in_review"
    empty = reviewer.post(f"{review}request-changes/", {"message": ""}, format="json")
    assert empty.status_code == 400
    asked = reviewer.post(f"{review}request-changes/", {"message": "More detail"}, format="json")
    assert asked.status_code == 201
    assert owner.get(url).json()["status"] == "changes_requested"
    assert owner.post(f"{url}submit/").json()["status"] == "submitted"
    assert reviewer.post(f"{review}reject/", {"reason": ""}, format="json").status_code == 400
    approved = reviewer.post(f"{review}approve/", {"note": "Lovely"}, format="json")
    assert approved.json()["status"] == "approved"
    events = owner.get(f"{url}events/").json()
    assert [e["to_status"] for e in events if e["kind"] == "status"] == [
        "submitted",
        "in_review",
        "changes_requested",
        "submitted",
        "approved",
    ]
    # A person is the same object everywhere in the API.
    assert events[-1]["actor"] == {
        "id": curator.pk,
        "email": curator.email,
        "name": curator.display_name,
    }
    assert owner.get(url).json()["owner"] == {
        "id": researcher.pk,
        "email": researcher.email,
        "name": researcher.display_name,
    }
    assert events[-1]["note"] == "Lovely"


def test_curator_actions_exist_once_under_review(ready: Submission, curator: User) -> None:
    """The old duplicates on /api/v1/submissions/ are gone (404), not merely refused."""
    reviewer = client_for(curator)
    for action in ("start-review", "request-changes", "approve", "reject"):
        response = reviewer.post(f"{BASE}{ready.pk}/{action}/", {}, format="json")
        assert response.status_code == 404, action


def test_withdraw_and_reject(
    ready: Submission, draft: Submission, researcher: User, curator: User
) -> None:
    assert (
        client_for(researcher).post(f"{BASE}{draft.pk}/withdraw/").json()["status"] == "withdrawn"
    )
    client_for(researcher).post(f"{BASE}{ready.pk}/submit/")
    response = client_for(curator).post(
        f"{REVIEW}{ready.pk}/reject/", {"reason": "Out of scope"}, format="json"
    )
    assert response.json()["status"] == "rejected"


def test_delete_a_draft(draft: Submission, researcher: User) -> None:
    assert client_for(researcher).delete(f"{BASE}{draft.pk}/").status_code == 204
    assert not Submission.objects.filter(pk=draft.pk).exists()


def test_visibility_group_sees_curator_sees_outsider_gets_404(
    draft: Submission, researcher: User, curator: User, outsider: User, facility
) -> None:  # type: ignore[no-untyped-def]
    colleague = factories.member(facility=facility, role=Role.RESEARCHER, group=draft.group)
    stranger_in_facility = factories.member(
        facility=facility, role=Role.RESEARCHER, group=factories.GroupFactory(facility=facility)
    )
    url = f"{BASE}{draft.pk}/"
    assert client_for(colleague).get(url).status_code == 200
    assert client_for(colleague).put(url, {"metadata": {}}, format="json").status_code == 403
    assert client_for(curator).get(url).status_code == 200
    assert [s["id"] for s in client_for(curator).get(BASE).json()["results"]] == [str(draft.pk)]
    for user in (outsider, stranger_in_facility):
        api = client_for(user)
        assert api.get(BASE).json()["results"] == []
        for method, path in [
            ("get", ""),
            ("put", ""),
            ("patch", ""),
            ("delete", ""),
            ("get", "events/"),
            ("get", "problems/"),
            ("post", "submit/"),
            ("post", "withdraw/"),
            ("get", "rembi/"),
            ("get", "pagetab/"),
            ("get", "file-lists/"),
            ("get", "file-lists/1/"),
        ]:
            response = getattr(api, method)(f"{url}{path}", {}, format="json")
            assert response.status_code == 404, (method, path, response.status_code)


def test_list_filters_by_status(draft: Submission, ready: Submission, researcher: User) -> None:
    client_for(researcher).post(f"{BASE}{ready.pk}/submit/")
    results = client_for(researcher).get(f"{BASE}?status=submitted").json()["results"]
    assert [r["id"] for r in results] == [str(ready.pk)]


def test_every_endpoint_is_in_the_openapi_schema(api) -> None:  # type: ignore[no-untyped-def]
    paths = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()[
        "paths"
    ]
    item = "/api/v1/submissions/{id}/"
    assert {"get", "put", "patch", "delete"} <= set(paths[item])
    for action in (
        "submit",
        "withdraw",
        "events",
        "problems",
        "rembi",
        "pagetab",
        "file-lists",
    ):
        assert f"{item}{action}/" in paths, action
    review = "/api/v1/review/submissions/{id}/"
    for action in ("claim", "assign", "start-review", "approve", "reject", "request-changes"):
        assert f"{review}{action}/" in paths, action
        assert f"{item}{action}/" not in paths, action
    assert "/api/v1/submissions/{id}/file-lists/{index}/" in paths
    for extra in (
        "rembi/schema/",
        "pagetab/schema/",
        "vocabularies/imaging-methods/",
        "vocabularies/organisms/",
    ):
        assert f"/api/v1/{extra}" in paths


def test_vocabularies_search_offline(api) -> None:  # type: ignore[no-untyped-def]
    methods = api.get("/api/v1/vocabularies/imaging-methods/?q=confocal").json()
    names = [r["name"] for r in methods["results"]]
    assert names[0] == "confocal microscopy"
    assert "spinning disk confocal microscopy" in names
    assert "CC BY 4.0" in methods["licence"]
    organisms = api.get("/api/v1/vocabularies/organisms/?q=zebrafish").json()["results"]
    assert organisms == [
        {"taxon_id": "7955", "scientific_name": "Danio rerio", "common_name": "zebrafish"}
    ]
    licences = api.get("/api/v1/vocabularies/licences/").json()["results"]
    assert len(licences) == 7
