"""The BioImage Archive deposit package of a published dataset: what the BIA's submission
takes, in one zip a curator downloads and hands on.

    README.txt              how to upload it to the BioImage Archive
    pagetab.json            the study as BioStudies PageTab (template BioImages.v4)
    file-list-N.tsv         one File List per study component (first column `Files`)
    manifest-sha256.txt     every file with its SHA-256, as `sha256sum -c` reads it
    files/<name>            the archived originals (when ARCHIVE_KEEP_ORIGINALS)

The zip is streamed (zipstream-ng): entries are generated while the response is sent, the
originals read from the archive in chunks, so neither memory nor disk holds the package,
whatever the dataset's size. Entries are stored, not deflated (images are compressed
already), so the length is known in advance and sent as Content-Length. Each package made is
an event on the dataset's timeline.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from zipstream import ZIP_STORED, ZipStream

from submissions.accounts.models import User
from submissions.accounts.permissions import can_curate
from submissions.core import keys, storage
from submissions.core.errors import NotFound
from submissions.lifecycle import services as lifecycle
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.processing.services import files_to_keep
from submissions.publication.formats.record import landing_url
from submissions.rembi import services as rembi

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Package:
    filename: str
    stream: Iterator[bytes]
    size: int | None
    files: int


def zip_path(name: str) -> str:
    """A safe path inside the zip for a file's name: relative, no `..`, no empty parts."""
    parts = [p for p in posixpath.normpath("/" + name.replace("\\", "/")).split("/") if p]
    parts = [p for p in parts if p not in {".", ".."}]
    return "/".join(parts) or "unnamed"


def _chunks(key: str) -> Iterator[bytes]:
    with storage.open_object(storage=storage.archive(), key=key) as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def build(*, accession: str, user: User) -> Package:
    """The package for a published dataset, for its facility's curators (404 for others)."""
    submission = (
        Submission.objects.select_related("facility", "publication")
        .filter(accession=accession, status=SubmissionStatus.PUBLISHED)
        .first()
    )
    if submission is None or not can_curate(user=user, submission=submission):
        raise NotFound("No published dataset has this accession.")
    files = sorted(files_to_keep(submission=submission), key=lambda f: f.name)
    lists = rembi.file_lists(submission)
    include_originals = settings.ARCHIVE_KEEP_ORIGINALS
    package = ZipStream(compress_type=ZIP_STORED, sized=True)
    readme = render_to_string(
        "publication/deposit_readme.txt",
        {
            "submission": submission,
            "accession": accession,
            "landing_url": landing_url(accession),
            "lists": lists,
            "files": files,
            "include_originals": include_originals,
        },
    )
    package.add(readme.encode(), "README.txt")
    pagetab = json.dumps(rembi.pagetab(submission), indent=2, ensure_ascii=False)
    package.add(pagetab.encode(), "pagetab.json")
    for file_list in lists:
        package.add(rembi.file_list_tsv(file_list).encode(), file_list.name)
    manifest = "".join(f"{f.sha256}  files/{zip_path(f.name)}\n" for f in files if f.sha256)
    package.add(manifest.encode(), "manifest-sha256.txt")
    if include_originals:
        for data_file in files:
            key = keys.original_key(accession, data_file.pk)
            package.add(_chunks(key), f"files/{zip_path(data_file.name)}", size=data_file.size)
    lifecycle.record_event(
        submission=submission,
        actor=user,
        kind="deposit_package",
        note=f"BioImage Archive deposit package made ({len(files)} files, "
        f"{len(lists)} file lists).",
    )
    return Package(
        filename=f"{accession}-bia-deposit.zip",
        stream=iter(package),
        size=len(package),
        files=len(files),
    )
