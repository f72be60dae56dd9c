"""run_subprocess: streaming, time limit, memory limit, signals."""

from __future__ import annotations

import os
import signal
import subprocess
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
    # SIGKILL is delivered asynchronously: the grandchild may take a moment to go.
    assert _gone_within(int(marker.read_text()), seconds=5)
    error = limit_failure(run)
    assert isinstance(error, ApplicationError)
    assert error.code == "timeout"


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux-only")
def test_child_dies_when_the_process_running_it_is_killed(tmp_path: Path) -> None:
    child_pid_file = tmp_path / "child.pid"
    child = f"import os, time; open({str(child_pid_file)!r}, 'w').write(str(os.getpid())); " + (
        "time.sleep(120)"
    )
    # A stand-in for a Celery worker: runs the wrapper on a long child, then gets SIGKILLed
    # (as the OOM killer or a container stop would), so it has no chance to clean up.
    worker = (
        "import sys\n"
        "from submissions.conversion.subprocess import run_subprocess\n"
        f"run_subprocess(args=[sys.executable, '-c', {child!r}], timeout_s=120)\n"
    )
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen([sys.executable, "-c", worker], cwd=root)
    child_pid = None
    try:
        deadline = time.monotonic() + 30
        while not child_pid_file.exists() or not child_pid_file.read_text():
            assert parent.poll() is None, "the stand-in worker exited before starting its child"
            assert time.monotonic() < deadline, "the child never started"
            time.sleep(0.05)
        child_pid = int(child_pid_file.read_text())

        parent.kill()
        parent.wait()

        assert _gone_within(child_pid, seconds=5)
    finally:
        parent.kill()
        parent.wait()
        if child_pid is not None and not _gone_within(child_pid, seconds=0):
            os.kill(child_pid, signal.SIGKILL)


def _gone_within(pid: int, *, seconds: float) -> bool:
    """True once ``pid`` has exited (a zombie nobody has reaped yet counts as exited)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return True
        except FileNotFoundError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


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
