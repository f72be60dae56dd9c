"""The `aperture` command as people run it: the installed console script, in a shell, with
the README's own lines; failures as one line that says what to check, exit status 1 for a
failure and 2 for a command used wrongly, the traceback only with --debug."""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import tifffile

from submissions.accounts.models import User
from submissions.accounts.tokens import issue_token
from submissions.lifecycle.models import Submission
from submissions.uploads.models import DataFile

README = Path(__file__).resolve().parents[2] / "README.md"
BIN = Path(sys.executable).parent
APERTURE = BIN / "aperture"  # the console script `pip install` made from pyproject.toml


def aperture(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Any:
    return subprocess.run(
        [str(APERTURE), *args],
        env={**os.environ, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def isolated(tmp_path: Path) -> dict[str, str]:
    """No config file or state of the person running the tests."""
    return {
        "APERTURE_CONFIG": str(tmp_path / "no-config.toml"),
        "APERTURE_STATE_DIR": str(tmp_path / "state"),
    }


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once it is closed


@pytest.fixture
def failing_server() -> Iterator[str]:
    """A server that answers every request 502 with an HTML page, as a proxy in front of a
    stopped portal does."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_console_script_is_installed() -> None:
    assert APERTURE.exists(), "make install puts the `aperture` command in the virtualenv"


def test_version_and_help() -> None:
    done = aperture("--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"aperture {version('aperture')}")
    done = aperture("--help")
    assert done.returncode == 0
    for command in ("new", "upload", "submissions", "convert", "--debug", "--version"):
        assert command in done.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "which command?"),
        (("bogus",), "unknown command 'bogus'"),
        (("upload",), "the following arguments are required"),
        (("convert",), "the following arguments are required: input, output"),
        (("upload", "some-id", "/no/such/file.tif"), "/no/such/file.tif is not a file or folder"),
        (("upload", "some-id", "README.md", "--max-rate", "fast"), "is not a rate like 20M"),
    ],
)
def test_usage_errors_exit_2(
    args: tuple[str, ...], says: str, isolated: dict[str, str], closed_port: int
) -> None:
    env = {**isolated, "APERTURE_URL": f"http://127.0.0.1:{closed_port}", "APERTURE_TOKEN": "t"}
    done = aperture(*args, env=env, cwd=README.parent)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def test_an_empty_folder_is_a_usage_error(isolated: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    env = {**isolated, "APERTURE_TOKEN": "t"}
    done = aperture("upload", "some-id", "empty", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "aperture: no files in empty: nothing to upload\n"


def test_missing_token_is_a_usage_error(isolated: dict[str, str]) -> None:
    done = aperture("submissions", env={**isolated, "APERTURE_TOKEN": ""})
    assert done.returncode == 2
    assert done.stderr.startswith("aperture: no API token")
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("command", [("submissions",), ("new", "A title"), ("upload", "x", ".")])
def test_a_refused_connection_is_one_line_naming_the_url_and_what_to_check(
    command: tuple[str, ...], isolated: dict[str, str], closed_port: int, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{closed_port}"
    env = {**isolated, "APERTURE_URL": url, "APERTURE_TOKEN": "apt_x"}
    (tmp_path / "cells.tif").write_bytes(b"II*\0")
    done = aperture(*command, env=env, cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"aperture: {url}/api/v1/")
    assert "could not be reached (Connection refused)" in lines[0]
    assert "APERTURE_URL" in lines[0]
    assert "the server is running" in lines[0]


def test_debug_shows_the_traceback(isolated: dict[str, str], closed_port: int) -> None:
    env = {**isolated, "APERTURE_URL": f"http://127.0.0.1:{closed_port}", "APERTURE_TOKEN": "t"}
    done = aperture("--debug", "submissions", env=env)
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert "ConnectError" in done.stderr


def test_an_error_answer_is_one_line_with_the_status_and_what_to_check(
    isolated: dict[str, str], failing_server: str, tmp_path: Path
) -> None:
    env = {**isolated, "APERTURE_URL": failing_server, "APERTURE_TOKEN": "apt_x"}
    for command in (("submissions",), ("upload", "some-id", str(README))):
        done = aperture(*command, env=env, cwd=tmp_path)
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert f"{failing_server}/api/v1/" in lines[0]
        assert "answered 502 Bad Gateway" in lines[0]
        assert "try again later" in lines[0]
        assert "<html>" not in lines[0]


@pytest.mark.django_db(transaction=True)
def test_a_wrong_token_says_to_check_the_token(live_server: Any, isolated: dict[str, str]) -> None:
    env = {**isolated, "APERTURE_URL": live_server.url, "APERTURE_TOKEN": "apt_not-a-token"}
    done = aperture("submissions", env=env)
    assert done.returncode == 1
    assert f"{live_server.url}/api/v1/submissions/ answered 401" in done.stderr
    assert "check your API token" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_convert_takes_input_and_output_as_documented(tmp_path: Path) -> None:
    source = tmp_path / "cells.ome.tif"
    tifffile.imwrite(source, np.arange(96 * 80, dtype="uint16").reshape(96, 80), ome=True)
    done = aperture("convert", str(source), str(tmp_path / "cells.ome.zarr"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cells.ome.zarr" / "zarr.json").exists()
    helped = aperture("convert", "--help")
    assert helped.returncode == 0
    assert helped.stdout.startswith("usage: aperture convert ")
    assert "input output" in helped.stdout
    assert "--resolutions" in helped.stdout


def test_convert_says_plainly_what_is_wrong_with_a_file(tmp_path: Path) -> None:
    source = tmp_path / "not-an-image.tif"
    source.write_text("<html>hello</html>")
    done = aperture("convert", str(source), str(tmp_path / "out.ome.zarr"))
    assert done.returncode == 1  # a failure; 2 is for a command used wrongly
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("aperture convert: ")
    assert "not-an-image.tif" in lines[0]
    assert "APERTURE-ERROR" not in done.stderr


def _readme_commands() -> list[str]:
    """The shell lines of README's "Uploading files" block, as a reader copies them."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Uploading files") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return block.group(1).strip().splitlines()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("small_parts")
def test_the_readme_commands_work_as_written(
    live_server: Any, researcher: User, isolated: dict[str, str], tmp_path: Path
) -> None:
    lines = _readme_commands()
    assert lines[0].startswith("export APERTURE_URL=https://aperture.example.org APERTURE_TOKEN=")
    (tmp_path / "images").mkdir()
    tifffile.imwrite(tmp_path / "images" / "heart-1.tif", np.zeros((64, 64), "uint8"))
    noise = np.random.default_rng(3).integers(0, 255, (400, 400), "uint8")  # 3 parts
    tifffile.imwrite(tmp_path / "images" / "heart-2.tif", noise)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(1000))
    tifffile.imwrite(tmp_path / "cells.ome.tif", np.ones((48, 40), "uint16"), ome=True)
    env = {
        **isolated,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        # What the README's first line exports, with this test server's address and a token.
        "APERTURE_URL": live_server.url,
        "APERTURE_TOKEN": issue_token(user=researcher)[1],
    }
    script = "set -euo pipefail\n" + "\n".join(lines[1:]) + "\n"
    done = subprocess.run(
        [shutil.which("bash") or "/bin/bash", "-c", script],
        env={**os.environ, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    draft = Submission.objects.get()
    assert (draft.title, draft.owner, draft.status) == (
        "Zebrafish heart regeneration",
        researcher,
        "draft",
    )
    names = sorted(DataFile.objects.filter(submission=draft).values_list("name", flat=True))
    assert names == ["images/heart-1.tif", "images/heart-2.tif", "notes.pdf"]
    assert set(DataFile.objects.values_list("status", flat=True)) <= {"verified", "inspected"}
    for datafile in DataFile.objects.all():
        assert datafile.declared_sha256 == datafile.sha256  # declared by the CLI, verified
    assert f"{draft.pk}  draft" in done.stdout  # `aperture submissions`
    assert "Zebrafish heart regeneration" in done.stdout
    assert (tmp_path / "cells.ome.zarr" / "zarr.json").exists()


def test_a_part_tried_again_says_why_and_counts_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server whose part endpoint answers 503 twice (a restarting portal behind its proxy),
    then takes the part: the sender says why it waits, and the bar hears of the part once."""
    from submissions.cli import transfer

    monkeypatch.setattr(transfer, "RETRY_DELAYS", (0.05, 0.05, 0.05))
    monkeypatch.setattr(transfer, "NOTICE_SECONDS", 0.0)
    puts: list[int] = []

    class Flaky(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # sign part n
            self.rfile.read(int(self.headers["Content-Length"]))
            host = f"http://127.0.0.1:{self.server.server_address[1]}"
            body = json.dumps({"method": "PUT", "url": f"{host}/data", "headers": {}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_PUT(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            puts.append(1)
            self.send_response(503 if len(puts) <= 2 else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    source = tmp_path / "part.bin"
    source.write_bytes(os.urandom(5000))
    said: list[str] = []
    counted: list[int] = []
    with httpx.Client(base_url=url) as client:
        sender = transfer.PartSender(
            client, client, "u1", "crc32c", threading.Event(), transfer.RateLimit(None),
            counted.append, notice=said.append,
        )  # fmt: skip
        fd = os.open(source, os.O_RDONLY)
        try:
            sender.send(fd, transfer.Part(1, 0, 5000))
        finally:
            os.close(fd)
    server.shutdown()
    assert len(puts) == 3
    assert counted == [5000]
    assert said == [
        f"part 1: {url} answered 503; trying again in 0.05 s (attempt 2 of 4)",
        f"part 1: {url} answered 503; trying again in 0.05 s (attempt 3 of 4)",
    ]
