"""Fixity of the archive: publication records every object's SHA-256 in the manifest; the
audit (`manage.py fixity`, the weekly beat task) re-hashes what the archive holds, records
each audit on the dataset's timeline and mails the facility's admins about any mismatch."""

from __future__ import annotations

import hashlib
import json
import os
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from submissions.accounts.models import Role, User
from submissions.core import keys, ratelimit, storage
from submissions.lifecycle.models import Submission, SubmissionEvent, SubmissionStatus
from submissions.publication.models import Publication
from submissions.publication.services import fixity
from submissions.publication.tasks import audit_fixity
from submissions.review import services as review
from submissions.uploads.models import DataFile
from tests import factories
from tests.conftest import empty_bucket, use_s3_staging

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(submitted: Submission) -> User:
    return factories.member(facility=submitted.facility, role=Role.FACILITY_ADMIN)


@pytest.fixture
def published(
    submitted: Submission, curator: User, admin: User, django_capture_on_commit_callbacks
) -> Submission:
    with django_capture_on_commit_callbacks(execute=True):
        review.approve(submission=submitted, curator=curator)
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.PUBLISHED
    mail.outbox.clear()
    return submitted


def archive_path(key: str) -> Path:
    return Path(storage.archive().path(key))


def manifest(submission: Submission) -> dict:  # type: ignore[type-arg]
    return json.loads(archive_path(keys.manifest_key(submission.accession)).read_bytes())


def audits(submission: Submission) -> list[SubmissionEvent]:
    return list(
        SubmissionEvent.objects.filter(
            submission=submission, kind__in=["fixity_audit", "fixity_mismatch"]
        ).order_by("pk")
    )


def flip_one_byte(path: Path, at: int = -1) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def a_chunk(submission: Submission) -> tuple[str, Path]:
    """The largest object of the dataset's OME-Zarr: pixel data, not metadata."""
    data_file = DataFile.objects.filter(submission=submission).order_by("name").first()
    assert data_file is not None
    prefix = keys.archive_prefix(accession=submission.accession, file_id=data_file.pk)
    listed = storage.list_tree(storage=storage.archive(), prefix=prefix)
    relative = max(listed, key=lambda k: listed[k])
    assert not relative.endswith(".json")
    return f"{prefix}/{relative}", archive_path(f"{prefix}/{relative}")


def test_the_manifest_records_the_sha256_of_every_published_object(
    published: Submission,
) -> None:
    entries = manifest(published)["files"]
    assert len(entries) == 2
    for entry in entries:
        prefix = entry["ome_zarr"]["prefix"]
        listed = storage.list_tree(storage=storage.archive(), prefix=prefix)
        recorded = entry["ome_zarr"]["sha256"]
        assert set(recorded) == set(listed)
        assert len(recorded) == entry["ome_zarr"]["objects"]
        for relative, digest in recorded.items():
            stored = archive_path(f"{prefix}/{relative}").read_bytes()
            assert hashlib.sha256(stored).hexdigest() == digest
        original = archive_path(entry["original"]).read_bytes()
        assert hashlib.sha256(original).hexdigest() == entry["sha256"]


def test_a_clean_audit_is_recorded_and_mails_nobody(published: Submission) -> None:
    out = StringIO()
    call_command("fixity", stdout=out)
    (event,) = audits(published)
    assert event.kind == "fixity_audit"
    assert event.actor is None
    assert "every one matches the manifest" in event.note
    entries = manifest(published)["files"]
    objects = sum(entry["ome_zarr"]["objects"] + 1 for entry in entries)  # and the originals
    assert f"{objects} objects" in event.note
    assert f"{published.accession}: Fixity audit: {objects} objects" in out.getvalue()
    assert "1 dataset(s) audited, 0 with problems." in out.getvalue()
    assert mail.outbox == []


def test_a_flipped_byte_in_a_zarr_chunk_is_reported_and_mailed_to_the_admins(
    published: Submission, admin: User, curator: User
) -> None:
    key, path = a_chunk(published)
    size = path.stat().st_size
    flip_one_byte(path, at=size // 2)
    assert path.stat().st_size == size  # same size: only a checksum can tell

    assert audit_fixity() == 1  # the weekly task

    (event,) = audits(published)
    assert event.kind == "fixity_mismatch"
    assert key in event.note
    assert "the manifest says" in event.note
    (message,) = mail.outbox
    assert message.to == [admin.email]  # the facility's admins, not its curators
    assert published.accession in message.subject
    assert key in message.body
    assert f"manage.py fixity --accession {published.accession}" in message.body

    audit_fixity()  # the same day again: recorded again, but mailed once
    assert len(audits(published)) == 2
    assert len(mail.outbox) == 1


def test_a_flipped_byte_in_an_archived_original_fails_the_command(
    published: Submission,
) -> None:
    entry = manifest(published)["files"][0]
    flip_one_byte(archive_path(entry["original"]), at=0)
    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("fixity", "--accession", published.accession, stdout=out)
    assert failed.value.returncode == 1
    assert f"the original of {entry['name']}" in out.getvalue()
    assert "1 dataset(s) audited, 1 with problems." in out.getvalue()
    (event,) = audits(published)
    assert event.kind == "fixity_mismatch"
    assert len(mail.outbox) == 1


def test_missing_and_unexpected_objects_are_reported(published: Submission) -> None:
    key, path = a_chunk(published)
    stray = path.with_name("stray")
    path.rename(stray)
    with pytest.raises(CommandError):
        call_command("fixity", "--no-mail", stdout=StringIO())
    (event,) = audits(published)
    assert f"{key} is missing" in event.note
    assert f"{key.rsplit('/', 1)[0]}/stray is not in the manifest" in event.note
    assert mail.outbox == []  # --no-mail


def test_an_unknown_accession_is_refused(published: Submission) -> None:
    with pytest.raises(CommandError, match="no published dataset APT-999999"):
        call_command("fixity", "--accession", "APT-999999")
    assert audits(published) == []


@pytest.mark.s3
def test_the_audit_reads_an_s3_archive(
    settings: Any, moto_endpoint: str, researcher: User, admin: User
) -> None:
    """The same audit over an S3 archive bucket (moto): objects are streamed, not listed."""
    client = use_s3_staging(settings, moto_endpoint)  # a fresh bucket, used as the archive
    settings.STORAGES = {**settings.STORAGES, "archive": settings.STORAGES["staging"]}
    submission = factories.SubmissionFactory(
        owner=researcher,
        facility=researcher.memberships.get().facility,
        status=SubmissionStatus.PUBLISHED,
    )
    publication = Publication.objects.create(
        submission=submission,
        accession="APT-42",
        marker_written_at=timezone.now(),
        due_at=timezone.now(),
    )
    archive = storage.archive()
    prefix = "datasets/APT-42/f.ome.zarr"
    chunks = {"zarr.json": b"{}", "0/c/0/0": os.urandom(3000), "0/c/0/1": os.urandom(70_000)}
    for relative, data in chunks.items():
        storage.write_bytes(
            storage=archive, key=f"{prefix}/{relative}", data=data, content_type="x/y"
        )
    recorded = fixity.checksum_tree(archive=archive, prefix=prefix)
    assert recorded == {k: hashlib.sha256(v).hexdigest() for k, v in chunks.items()}
    entry = {"name": "f.tif", "ome_zarr": {"prefix": prefix, "sha256": recorded}}
    storage.write_bytes(
        storage=archive,
        key=keys.manifest_key("APT-42"),
        data=json.dumps({"files": [entry]}).encode(),
        content_type="application/json",
    )
    assert fixity.audit_dataset(publication=publication).clean

    flipped = bytearray(chunks["0/c/0/1"])
    flipped[12_345] ^= 0x80
    client.put_object(Bucket=client.bucket, Key=f"{prefix}/0/c/0/1", Body=bytes(flipped))
    result = fixity.audit_dataset(publication=publication)
    assert result.problems == [
        f"{prefix}/0/c/0/1 has SHA-256 {hashlib.sha256(flipped).hexdigest()}, the manifest "
        f"says {recorded['0/c/0/1']}"
    ]
    assert [m.to for m in mail.outbox] == [[admin.email]]
    empty_bucket(client)


def archived_bytes(submission: Submission) -> int:
    entries = manifest(submission)["files"]
    return sum(int(e["size"]) + int(e["ome_zarr"]["bytes"]) for e in entries)


def test_the_audit_reads_no_faster_than_its_cap(
    published: Submission, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 0.001 MB/s (1 kB/s) the audit of this dataset must last about its size in
    milliseconds: its last read waits until then (time.sleep is recorded, not slept, so
    each wait is how far the reads have run ahead of the budget)."""
    waits: list[float] = []
    monkeypatch.setattr(ratelimit.time, "sleep", waits.append)
    settings.FIXITY_AUDIT_MAX_MB_S = 0.001
    audit_fixity()
    expected = archived_bytes(published) / 1000
    assert 0.5 * expected <= max(waits) <= expected
    # The command's --max-rate overrides the setting; 0 reads at full speed.
    waits.clear()
    call_command("fixity", "--max-rate", "0", stdout=StringIO())
    assert waits == []
    assert [e.kind for e in audits(published)] == ["fixity_audit", "fixity_audit"]
