"""run_subprocess: streaming, time limit, memory limit, signals."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from submissions.conversion.errors import ApplicationError
from submissions.conversion.subprocess import limit_failure, run_subprocess


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_lines_are_streamed_including_carriage_return_redraws() -> None:
    seen: list[str] = []
    code = (
        "import sys\n"
        "for i in range(3): sys.stdout.write(f'bar {i}\\r'); sys.stdout.flush()\n"
        "print('done'); print('oops', file=sys.stderr)"
    )

    run = run_subprocess(args=python(code), timeout_s=30, on_line=seen.append)

    assert seen == ["bar 0", "bar 1", "bar 2", "done", "oops"]
    assert run.returncode == 0
    # Redraws collapse in the tail so it keeps what matters.
    assert run.output_tail.splitlines() == ["bar 2", "done", "oops"]
    assert limit_failure(run) is None


def test_exit_code_and_working_directory(tmp_path: Path) -> None:
    run = run_subprocess(
        args=python("import os, sys; print(os.getcwd()); sys.exit(3)"),
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        timeout_s=30,
    )

    assert run.returncode == 3
    assert run.output_tail.strip() == str(tmp_path)
    assert "exited with code 3" in run.describe()


def test_time_limit_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    # The child starts a grandchild that would outlive it; both must die at the deadline.
    code = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(marker)!r}, 'w').write(str(p.pid))\n"
        "print('started', flush=True); time.sleep(60)"
    )

    # Generous enough for both interpreters to start on a loaded machine.
    run = run_subprocess(args=python(code), timeout_s=5)

    assert run.timed_out
    assert "started" in run.output_tail
    assert run.duration_s < 15
    grandchild = int(marker.read_text())
    # SIGKILL to the group is delivered asynchronously: allow the kernel a moment to act.
    assert _gone_within(grandchild, seconds=5)
    error = limit_failure(run)
    assert isinstance(error, ApplicationError)
    assert error.code == "timeout"


def _gone_within(pid: int, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _is_zombie(pid):
            return True
        time.sleep(0.05)
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_memory_limit_makes_large_allocation_fail() -> None:
    code = "x = bytearray(1024 * 1024 * 1024); print('allocated')"

    run = run_subprocess(args=python(code), timeout_s=30, memory_limit_bytes=512 * 2**20)

    assert run.returncode != 0
    assert "MemoryError" in run.output_tail
    assert "allocated" not in run.output_tail


def test_sigkill_is_reported_as_137_and_transient() -> None:
    run = run_subprocess(args=python("import os, signal; os.kill(os.getpid(), 9)"), timeout_s=30)

    assert run.returncode == 137
    assert run.killed
    assert "SIGKILL" in run.describe()
    error = limit_failure(run)
    assert error is not None
    assert error.code == "killed"
    assert error.transient


def test_missing_program_raises_oserror() -> None:
    with pytest.raises(FileNotFoundError):
        run_subprocess(args=["/nonexistent/program"], timeout_s=5)


def test_argument_list_is_never_a_shell(tmp_path: Path) -> None:
    target = tmp_path / "should-not-exist"

    run = run_subprocess(args=["echo", f"; touch {target}"], timeout_s=5)

    assert run.returncode == 0
    assert not target.exists()
