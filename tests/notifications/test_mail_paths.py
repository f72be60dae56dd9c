"""Where mail goes and where its links point: the mail folder is absolute under the project's
var/, links follow the address the portal was started on, and an upload that crosses a soft
limit sends its warning once per crossing, end to end through the upload protocol."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from submissions.accounts.models import User
from submissions.lifecycle.models import Submission
from submissions.notifications.models import NotificationKind, SentNotification
from tests import factories
from tests.conftest import client_for
from tests.uploads.helpers import create, put_part

ROOT = Path(__file__).resolve().parents[2]
SITE = "https://aperture.example.org"


def settings_in_a_fresh_process(cwd: Path, **env: str) -> list[str]:
    """EMAIL_BACKEND, EMAIL_FILE_PATH and SITE_URL as a process started in `cwd` sees them."""
    program = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND); print(getattr(s, 'EMAIL_FILE_PATH', '')); print(s.SITE_URL)"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"EMAIL_URL", "APERTURE_SITE_URL", "APERTURE_HOST", "APERTURE_PORT"}
    }
    clean.update(DJANGO_SETTINGS_MODULE="portal.settings.development", PYTHONPATH=str(ROOT), **env)
    out = subprocess.run(
        [sys.executable, "-c", program],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout.split("\n")[:3]


def test_the_mail_folder_is_the_projects_var_mail_wherever_a_process_starts(
    tmp_path: Path,
) -> None:
    backend, folder, _ = settings_in_a_fresh_process(tmp_path)
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert Path(folder).is_absolute()
    assert Path(folder) == ROOT / "var" / "mail"
    _, absolute, _ = settings_in_a_fresh_process(tmp_path, EMAIL_URL="filemail:///srv/mail")
    assert absolute == "/srv/mail"


def test_links_follow_the_address_the_portal_was_started_on(tmp_path: Path) -> None:
    # `make run` binds APERTURE_HOST:APERTURE_PORT (portal/devrun.py); every process it
    # starts reads the same variables.
    assert settings_in_a_fresh_process(tmp_path)[2] == "http://127.0.0.1:8000"
    assert settings_in_a_fresh_process(tmp_path, APERTURE_PORT="8123")[2] == (
        "http://127.0.0.1:8123"
    )
    everywhere = "0.0.0.0"  # noqa: S104 - a bind address written into a link, nothing binds
    wildcard = settings_in_a_fresh_process(tmp_path, APERTURE_HOST=everywhere, APERTURE_PORT="9")
    assert wildcard[2] == "http://localhost:9"
    explicit = settings_in_a_fresh_process(
        tmp_path, APERTURE_PORT="8123", APERTURE_SITE_URL="https://aperture.example.org/"
    )
    assert explicit[2] == "https://aperture.example.org"


def _upload(client: Any, submission: Submission, name: str, data: bytes, commits: Any) -> None:
    with commits():  # creating reserves the bytes; a crossing mails after commit
        upload = create(client, submission, name, data).json()
    for number in range(1, upload["part_count"] + 1):
        assert put_part(client, upload, number, data).status_code == 200
    with commits():
        assert client.post(f"/api/v1/uploads/{upload['id']}/complete/").status_code == 200


@pytest.mark.django_db
def test_an_upload_crossing_a_soft_limit_warns_once_per_crossing(
    researcher: User, facility_admin: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SITE_URL = SITE
    facility = researcher.memberships.get().facility
    draft = factories.SubmissionFactory(owner=researcher, facility=facility)
    factories.quota(facility=facility, user=researcher, soft=1_000_000, hard=10_000_000)
    client = client_for(researcher)

    def commits() -> Any:
        return django_capture_on_commit_callbacks(execute=True)

    def warnings() -> list[Any]:
        return [m for m in mail.outbox if "soft limit" in m.subject]

    _upload(client, draft, "cells_01.bin", os.urandom(600_000), commits)
    assert warnings() == []
    _upload(client, draft, "cells_02.bin", os.urandom(600_000), commits)
    (warning,) = warnings()
    assert warning.to == [researcher.email]
    assert "1.2 MB in use, soft limit 1.0 MB, hard limit 10.0 MB" in warning.body
    assert f"{SITE}/account/usage/" in warning.body
    sent = SentNotification.objects.filter(recipient=researcher, kind=NotificationKind.SOFT_LIMIT)
    assert sent.count() == 1
    _upload(client, draft, "cells_03.bin", os.urandom(600_000), commits)  # still over it
    assert len(warnings()) == 1
