"""The browser uploader with S3 staging (a local moto server): parts go from the page straight
to presigned S3 URLs, their SHA-256 a signed header, and the whole-file SHA-256 the browser
computed is declared at completion. CORS and the CSP's connect-src are set up as README
("Uploading") tells an operator."""

from __future__ import annotations

import copy
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile, FileStatus
from tests.browser import login
from tests.uploads.uploader import UploaderPage

pytestmark = [pytest.mark.browser, pytest.mark.s3, pytest.mark.django_db(transaction=True)]
MIB = 1024 * 1024


@pytest.mark.usefixtures("five_mib_parts")
def test_browser_parts_go_straight_to_s3_and_the_file_is_verified(
    live_server: Any,
    page: Any,
    researcher: User,
    draft: Submission,
    tmp_path: Path,
    s3_staging: Any,
    moto_endpoint: str,
    settings: Any,
) -> None:
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["connect-src"] = [*policy["DIRECTIVES"]["connect-src"], moto_endpoint]
    settings.CONTENT_SECURITY_POLICY = policy
    s3_staging.put_bucket_cors(
        Bucket=s3_staging.bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": [live_server.url],
                    "AllowedMethods": ["PUT", "GET", "HEAD"],
                    "AllowedHeaders": ["*"],
                }
            ]
        },
    )
    stack = tmp_path / "stack.raw"
    data = os.urandom(12 * MIB)
    stack.write_bytes(data)
    to_s3: list[str] = []
    page.on(
        "request",
        lambda r: (
            to_s3.append(r.url) if r.url.startswith(moto_endpoint) and r.method == "PUT" else None
        ),
    )
    login(page, live_server.url, researcher.email, "correct horse battery")
    uploader = UploaderPage(page, live_server.url, draft)
    uploader.open()
    uploader.add(stack)
    uploader.start("Upload 1 file")
    uploader.wait_settled(1)
    assert uploader.summary() == "Upload complete: 1 verified.", uploader.log()
    assert len(to_s3) == 3  # three parts, each once, none through Django
    stored = DataFile.objects.get()
    assert stored.status in (FileStatus.VERIFIED, FileStatus.INSPECTED)
    assert stored.declared_sha256 == stored.sha256 == hashlib.sha256(data).hexdigest()
    uploader.assert_true_to(draft)
