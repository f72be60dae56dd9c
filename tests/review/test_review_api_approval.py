"""The review API says whether you may approve a submission now and, if not, every reason
why, each with a stable code and the review page's words; the approve action agrees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.review.readiness import approval_blocks
from tests.conftest import client_for
from tests.review.test_approval_blocks import fail_review_copy

pytestmark = pytest.mark.django_db


def detail(user: User, submission: Submission) -> dict[str, Any]:
    answer = client_for(user).get(f"/api/v1/review/submissions/{submission.pk}/")
    assert answer.status_code == 200
    return answer.json()  # type: ignore[no-any-return]


def approve(user: User, submission: Submission) -> Any:
    return client_for(user).post(f"/api/v1/review/submissions/{submission.pk}/approve/")


def test_an_approvable_submission_says_so_and_approve_goes_through(
    submitted: Submission, curator: User
) -> None:
    found = detail(curator, submitted)
    assert found["can_approve"] is True
    assert found["approval_blocks"] == []
    approved = approve(curator, submitted)
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    # Now that it is approved, it cannot be approved again, and the answer says why.
    assert approved.json()["can_approve"] is False
    assert [b["code"] for b in approved.json()["approval_blocks"]] == ["invalid_transition"]
    assert "cannot become approved" in approved.json()["approval_blocks"][0]["message"]


def test_a_self_review_is_blocked_with_its_code_and_reason(
    make_submitted: Callable[..., Submission], curator: User
) -> None:
    own = make_submitted(owner=curator)
    found = detail(curator, own)
    assert found["can_approve"] is False
    (block,) = found["approval_blocks"]
    assert block["code"] == "self_review"
    assert "another curator of" in block["message"]
    assert block["files"] == []
    refused = approve(curator, own)
    assert refused.status_code == 403
    assert (refused.json()["code"], refused.json()["message"]) == (block["code"], block["message"])


def test_a_failed_review_copy_is_blocked_naming_the_file_and_what_to_do(
    submitted: Submission, curator: User
) -> None:
    name = fail_review_copy(submitted)
    found = detail(curator, submitted)
    assert found["can_approve"] is False
    (block,) = found["approval_blocks"]
    assert block["code"] == "conversion_failed"
    assert block["files"] == [name]
    assert block["message"].startswith(f"{name} could not be converted")
    assert "Request changes so the researcher replaces or removes it" in block["message"]
    # The page's words, and the approve action's refusal, are the same.
    assert block["message"] == approval_blocks(submission=submitted, curator=curator)[0].message
    refused = approve(curator, submitted)
    assert refused.status_code == 409
    assert (refused.json()["code"], refused.json()["message"]) == (block["code"], block["message"])


def test_the_researcher_reads_that_only_a_curator_approves(
    submitted: Submission, researcher: User
) -> None:
    found = detail(researcher, submitted)
    assert found["can_approve"] is False
    (block,) = found["approval_blocks"]
    assert block["code"] == "permission_denied"
    assert block["message"] == f"Only a curator of {submitted.facility.name} can approve it."
    assert approve(researcher, submitted).status_code == 403


def test_the_schema_documents_the_blocks(curator: User) -> None:
    schema = client_for(curator).get(
        "/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    components = schema.json()["components"]["schemas"]
    review = components["Review"]["properties"]
    assert review["can_approve"]["type"] == "boolean"
    assert review["approval_blocks"]["items"]["$ref"] == "#/components/schemas/ApprovalBlock"
    block = components["ApprovalBlock"]
    assert set(block["required"]) >= {"code", "message"}
    assert set(components["ApprovalBlockCodeEnum"]["enum"]) == {
        "permission_denied",
        "invalid_transition",
        "self_review",
        "conversion_failed",
        "quota_exceeded",
    }
