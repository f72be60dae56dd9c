"""`aperture upload` against a live server: folders, Ctrl-C in the middle, resume."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from submissions.accounts.models import User
from submissions.accounts.tokens import issue_token
from submissions.cli.upload import collect
from submissions.core.units import format_bytes
from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile, UploadPart

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("small_parts")]


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    code = "import sys; from submissions.cli import main; sys.exit(main())"
    return subprocess.Popen(
        [sys.executable, "-c", code, "upload", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def cli_env(live_server: Any, researcher: User, tmp_path: Path) -> dict[str, str]:
    return {
        "APERTURE_URL": live_server.url,
        "APERTURE_TOKEN": issue_token(user=researcher)[1],
        "APERTURE_STATE_DIR": str(tmp_path / "state"),
        "APERTURE_CONFIG": str(tmp_path / "no-config.toml"),
    }


def test_folders_keep_their_layout(tmp_path: Path) -> None:
    (tmp_path / "run1" / "sub").mkdir(parents=True)
    (tmp_path / "run1" / "a.tif").write_bytes(b"a")
    (tmp_path / "run1" / "sub" / "b.tif").write_bytes(b"b")
    (tmp_path / "c.tif").write_bytes(b"c")
    names = [name for _, name in collect([tmp_path / "run1", tmp_path / "c.tif"])]
    assert names == ["run1/a.tif", "run1/sub/b.tif", "c.tif"]


def test_interrupted_cli_upload_resumes_without_resending_parts(
    cli_env: dict[str, str], draft: Submission, tmp_path: Path
) -> None:
    data = os.urandom(2 * 1024 * 1024)  # 32 parts of 64 KiB
    source = tmp_path / "stack.bin"
    source.write_bytes(data)
    # With the progress bar (no -q): it must never count bytes the server has not taken.
    args = [str(draft.pk), str(source), "--jobs", "2", "--max-rate", "384K"]
    first = run_cli(args, cli_env)
    deadline = time.monotonic() + 30
    while UploadPart.objects.count() < 6 and time.monotonic() < deadline:
        time.sleep(0.1)
    first.send_signal(signal.SIGINT)
    output = first.communicate(timeout=30)[0]
    assert first.returncode == 130, output
    assert "Run the same command again" in output
    before = dict(UploadPart.objects.values_list("number", "received_at"))
    assert 6 <= len(before) < 32
    said = re.search(r"stack\.bin: (\d+) of 32 parts \(([^)]+)\) are on the server", output)
    assert said is not None, output
    counted = int(said.group(1))
    # A part whose answer the interruption cut off is on the server but was not counted.
    assert len(before) - 2 <= counted <= len(before)
    assert said.group(2) == format_bytes(counted * 64 * 1024)
    shown = [int(p) for p in re.findall(r"(\d+)%\|", output)]
    assert shown, output
    # The bar as it was left shows exactly what landed (tqdm rounds to whole percent).
    assert shown[-1] == round(100 * counted / 32)
    assert max(shown) <= round(100 * len(before) / 32)

    second = run_cli([str(draft.pk), str(source), "-q"], cli_env)
    output = second.communicate(timeout=60)[0]
    assert second.returncode == 0, output
    assert (
        f"Resuming stack.bin: {len(before)} of 32 parts already on the server "
        f"({format_bytes(len(before) * 64 * 1024)})"
    ) in output
    after = dict(UploadPart.objects.values_list("number", "received_at"))
    assert len(after) == 32
    assert {n: after[n] for n in before} == before  # nothing sent twice
    datafile = DataFile.objects.get()
    assert datafile.status == "inspected"  # verified, then inspected as an attachment
    assert datafile.sha256 == hashlib.sha256(data).hexdigest()
    # The CLI hashed the whole file (parts sent before the interruption included) and
    # declared it at completion, so verification held the stored bytes to it.
    assert datafile.declared_sha256 == datafile.sha256
    assert datafile.checksum_algorithm == "crc32c"


def test_cli_explains_a_missing_token(tmp_path: Path, draft: Submission) -> None:
    env = {"APERTURE_TOKEN": "", "APERTURE_CONFIG": str(tmp_path / "none.toml")}
    (tmp_path / "f").write_bytes(b"x")
    done = run_cli([str(draft.pk), str(tmp_path / "f")], env)
    output = done.communicate(timeout=30)[0]
    assert done.returncode != 0
    assert "APERTURE_TOKEN" in output


def test_cli_reads_the_config_file_and_refuses_someone_elses_submission(
    cli_env: dict[str, str], outsider: User, tmp_path: Path
) -> None:
    from tests.factories import SubmissionFactory

    theirs = SubmissionFactory(owner=outsider, facility=outsider.memberships.get().facility)
    config = tmp_path / "config.toml"
    config.write_text(f'url = "{cli_env["APERTURE_URL"]}"\ntoken = "{cli_env["APERTURE_TOKEN"]}"\n')
    env = {**cli_env, "APERTURE_URL": "", "APERTURE_TOKEN": "", "APERTURE_CONFIG": str(config)}
    (tmp_path / "f").write_bytes(b"x")
    done = run_cli([str(theirs.pk), str(tmp_path / "f")], env)
    output = done.communicate(timeout=30)[0]
    assert done.returncode == 1
    assert "no submission" in output
