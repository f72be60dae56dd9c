"""From the shell alone: `aperture new` starts a draft, `aperture upload` fills it (see
test_cli.py), `aperture submissions` lists what you have; errors are said plainly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from submissions.accounts.models import User
from submissions.accounts.tokens import issue_token
from submissions.cli import main
from submissions.lifecycle.models import Submission

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cli(live_server: Any, researcher: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("APERTURE_URL", live_server.url)
    monkeypatch.setenv("APERTURE_TOKEN", issue_token(user=researcher)[1])
    monkeypatch.setenv("APERTURE_CONFIG", str(tmp_path / "no-config.toml"))
    return live_server


def test_new_starts_a_draft_and_submissions_lists_it(
    cli: Any, researcher: User, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "Zebrafish heart regeneration, day 3"]) == 0
    out, err = capsys.readouterr()
    created = Submission.objects.get()
    assert out.strip() == str(created.pk)
    assert created.owner == researcher
    assert created.status == "draft"
    assert f"aperture upload {created.pk}" in err
    assert f"/submissions/{created.pk}/edit/" in err

    assert main(["submissions"]) == 0
    out, _ = capsys.readouterr()
    assert str(created.pk) in out
    assert "draft" in out
    assert "Zebrafish heart regeneration, day 3" in out


def test_errors_are_said_plainly(
    cli: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["new", "A title", "--facility", "nowhere"]) == 1
    _, err = capsys.readouterr()
    assert err.startswith("aperture: ")
    assert Submission.objects.count() == 0

    assert main(["new", "   "]) == 1
    _, err = capsys.readouterr()
    assert "title" in err.lower()

    monkeypatch.setenv("APERTURE_TOKEN", "")
    assert main(["submissions"]) == 2  # a usage error: nothing was tried
    _, err = capsys.readouterr()
    assert err.startswith("aperture: no API token")
    assert len(err.strip().splitlines()) == 1
