"""`make run`'s supervisor: everything starts, /healthz goes green, Ctrl-C leaves nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _health(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
    except OSError:
        return 0, {}


@pytest.mark.timeout(180)
def test_devrun_starts_all_green_and_ctrl_c_leaves_no_process(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(APERTURE_VAR_DIR=str(tmp_path), APERTURE_PORT=str(port))
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    runner = subprocess.Popen(
        [python, "-m", "portal.devrun"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        status, body = 0, {}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and status != 200:
            time.sleep(1)
            status, body = _health(port)
        assert status == 200, body
        children = psutil.Process(runner.pid).children(recursive=True)
        assert len(children) >= 5  # redis, web, two workers (with pool children), beat
        runner.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert runner.wait(timeout=60) == 0
        _gone, alive = psutil.wait_procs(children, timeout=10)
        assert alive == [], [p.info for p in alive]  # type: ignore[attr-defined]
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
