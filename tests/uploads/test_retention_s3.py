"""Retention against S3 (a local moto server): the rejected submission's object leaves the
bucket, the download before that is a presigned redirect, and an S3 outage while deleting
records nothing, so the next run deletes and frees once."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import EndpointConnectionError
from django.utils import timezone

from submissions.accounts.models import User
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionEvent, SubmissionStatus
from submissions.quotas.models import QuotaAccount
from submissions.quotas.services import ledger, reconcile
from submissions.review import services as review
from submissions.uploads.services import retention
from submissions.uploads.services.backends import S3Backend
from tests.conftest import client_for, signed_in
from tests.uploads.helpers import b64sha256, complete, create, sign

pytestmark = [pytest.mark.s3, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def own_archive_folder(settings: Any, tmp_path: Path) -> None:
    """An archive folder of this test alone (staging is its own bucket): the reconciliation
    checked here lists whole storages, where other tests' objects would show up as drift."""
    storages = dict(settings.STORAGES)
    storages["archive"] = {**storages["archive"], "OPTIONS": {"location": tmp_path / "archive"}}
    settings.STORAGES = storages


DATA = b"Staining protocol, plate 7.\n" * 2000


def used(submission: Submission) -> set[int]:
    accounts = QuotaAccount.objects.filter(facility=submission.facility, area="staging")
    return {a.used_bytes for a in accounts}


def stored_keys(client: Any) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=client.bucket).get("Contents", [])]


def test_on_s3_the_purge_survives_an_outage_and_then_empties_the_bucket(
    researcher: User,
    curator: User,
    draft: Submission,
    s3_staging: Any,
    commits: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api = client_for(researcher)
    upload = create(api, draft, "protocol.txt", DATA).json()
    target = sign(api, upload["id"], 1, b64sha256(DATA)).json()
    assert httpx.put(target["url"], content=DATA, headers=target["headers"]).status_code == 200
    assert complete(api, upload["id"], commits).status_code == 200
    key = f"uploads/{draft.pk}/{upload['id']}"
    lifecycle.transition(submission=draft, to=SubmissionStatus.SUBMITTED, actor=researcher)
    with commits():
        review.reject(submission=draft, curator=curator, reason="Out of scope.")
    draft.refresh_from_db()
    assert key in stored_keys(s3_staging)
    before = used(draft)

    download = signed_in(researcher).get(f"/submissions/{draft.pk}/files/{upload['id']}/download/")
    assert download.status_code == 302
    assert httpx.get(download["Location"]).content == DATA

    real_discard = S3Backend.discard

    def outage(self: S3Backend, **_kwargs: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://s3.example.org")

    monkeypatch.setattr(S3Backend, "discard", outage)
    due = timezone.now() + datetime.timedelta(days=31)
    assert retention.purge_due(now=due) == []
    assert key in stored_keys(s3_staging)
    assert used(draft) == before
    assert not SubmissionEvent.objects.filter(submission=draft, kind="files_deleted").exists()

    monkeypatch.setattr(S3Backend, "discard", real_discard)
    assert len(retention.purge_due(now=due)) == 1
    assert key not in stored_keys(s3_staging)
    assert used(draft) == {u - len(DATA) for u in before}
    assert ledger.ledger_problems() == []
    assert reconcile.reconcile(repair=False).drifts == []
