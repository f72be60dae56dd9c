"""`make bench-upload`: Aperture's upload path against the bare minimum, in the same run.

- folder storage: `aperture upload` (4 parallel parts, CRC32C) to gunicorn (4 sync workers,
  the production command) writing to disk, against the same file PUT in one request to a
  minimal Python HTTP server that only streams the body to a file on the same disk
  (http.server.ThreadingHTTPServer, 1 MiB reads; the client is http.client with 1 MiB
  blocks: https://docs.python.org/3/library/http.server.html and
  https://docs.python.org/3/library/http.client.html). That is the limit of a web upload
  in Python on this machine: no parsing, no checksum, no database, no second copy;
- S3 (a local moto server on loopback): `aperture upload` with presigned part URLs, against
  boto3's `upload_file` (its defaults: 8 MiB parts, 10 threads) to the same endpoint;
- the web process's peak RSS while receiving 4 GiB minus while receiving 1 GiB;
- fixity: the verification task's whole-file SHA-256 against `openssl dgst -sha256` and
  against `hashlib.file_digest` (Python's own, 3.11+) on the same stored 4 GiB file.

Every figure is the median of `BENCH_REPEATS` (default 3) rounds; within a round the order of
Aperture and its peer alternates, and each folder upload starts after `sync` (untimed), so no
upload is timed while the disk still writes out an earlier one. Generated files are deleted at
the end. BENCH_UPLOAD_ONLY=folder skips S3 (to iterate on the folder path).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
GIB = 1024**3
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
WITH_S3 = os.environ.get("BENCH_UPLOAD_ONLY", "") != "folder"
# BENCH_SMOKE=1 runs 64 MiB and 256 MiB files to check the harness quickly.
SIZES = (
    {"1g": 64 * 2**20, "4g": 256 * 2**20}
    if os.environ.get("BENCH_SMOKE")
    else {"1g": 1 * GIB, "4g": 4 * GIB}
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def generate(path: Path, size: int) -> None:
    block = os.urandom(64 * 1024 * 1024)
    with path.open("wb") as handle:
        for _ in range(size // len(block)):
            handle.write(block)


class RssSampler:
    """Peak RSS of a process tree (gunicorn master + workers), sampled every 100 ms."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.running = False

    def rss(self) -> int:
        total = 0
        for proc in [self.proc, *self.proc.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total

    def __enter__(self) -> RssSampler:
        self.peak, self.running = self.rss(), True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.rss())
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()


def web(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [PY, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "4", "--timeout", "600", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


def cli_upload(env: dict[str, str], submission: str, path: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [PY, "-c", "import sys; from submissions.cli import main; sys.exit(main())",
         "upload", submission, str(path), "-q", "--jobs", "4"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    return time.perf_counter() - started


# The bare minimum of a web upload: read the body, write it to a file. Nothing else.
BARE_SERVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
root = Path(sys.argv[2])
class Put(BaseHTTPRequestHandler):
    def do_PUT(self):
        remaining = int(self.headers["Content-Length"])
        with open(root / Path(self.path).name, "wb") as out:
            while remaining:
                block = self.rfile.read(min(remaining, 1 << 20))
                if not block:
                    break
                out.write(block)
                remaining -= len(block)
        self.send_response(201 if not remaining else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Put).serve_forever()
"""


def bare_put(port: int, path: Path) -> float:
    import http.client

    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, blocksize=1 << 20, timeout=600)
    with path.open("rb") as body:
        connection.request(
            "PUT", f"/{path.name}", body=body, headers={"Content-Length": str(path.stat().st_size)}
        )
        response = connection.getresponse()
        response.read()
    connection.close()
    if response.status != 201:
        raise RuntimeError(f"bare server answered {response.status}")
    return time.perf_counter() - started


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def timed_run(args: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - started, out


def hashlib_digest(path: Path) -> tuple[float, str]:
    import hashlib

    started = time.perf_counter()
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return time.perf_counter() - started, digest


def fixity_rounds(*, file_id: str, stored: Path, note: Callable[[str, float], None]) -> None:
    """The verification task, `openssl dgst -sha256` and hashlib on the same stored file,
    REPEATS rounds; the first reader of a round may meet writeback, so whoever it is rotates."""
    from submissions.uploads.models import DataFile
    from submissions.uploads.services import verify_upload

    # No worker runs in the benchmark, so nothing has verified the upload yet.
    expected = hashlib_digest(stored)[1]

    def aperture() -> None:
        DataFile.objects.filter(pk=file_id).update(status="uploaded", verification_started_at=None)
        started = time.perf_counter()
        verify_upload(file_id=file_id)
        note("fixity.aperture", time.perf_counter() - started)
        datafile = DataFile.objects.get(pk=file_id)
        assert datafile.status == "verified", datafile.failure_message
        assert datafile.sha256 == expected

    def openssl() -> None:
        seconds, out = timed_run(["openssl", "dgst", "-sha256", str(stored)])
        assert out.split()[-1] == expected, out
        note("fixity.openssl", seconds)

    def python() -> None:
        seconds, digest = hashlib_digest(stored)
        assert digest == expected
        note("fixity.hashlib", seconds)

    readers = [aperture, openssl, python]
    for round_ in range(REPEATS):
        shift = round_ % len(readers)
        for reader in readers[shift:] + readers[:shift]:
            reader()


def med(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="aperture-bench-upload-", dir=os.environ.get("BENCH_DIR")))
    storage = work / "staging"
    storage.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.benchmarks.bench_settings",
        "PYTHONPATH": str(ROOT),
        "BENCH_DB": str(work / "bench.sqlite3"),
        "BENCH_STORAGE": str(storage),
        "APERTURE_VAR_DIR": str(work / "var"),
        "APERTURE_STATE_DIR": str(work / "state"),
        "APERTURE_CONFIG": str(work / "none.toml"),
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "UPLOAD_PART_SIZE": str(64 * 1024 * 1024),
    }
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    sys.path.insert(0, str(ROOT))
    subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    import django

    django.setup()
    from submissions.accounts.models import Facility, Membership, Role, User
    from submissions.accounts.tokens import issue_token
    from submissions.lifecycle.models import Submission
    from submissions.uploads.models import DataFile

    user = User.objects.create_user("bench@example.org", "bench")
    facility = Facility.objects.create(name="Bench", slug="bench")
    Membership.objects.create(user=user, facility=facility, role=Role.RESEARCHER)
    submission = Submission.objects.create(facility=facility, owner=user, title="bench")
    env["APERTURE_TOKEN"] = issue_token(user=user, name="benchmark")[1]

    files = {}
    for label, size in SIZES.items():
        files[label] = work / f"{label}.bin"
        generate(files[label], size)
    print(f"# generated {', '.join(SIZES)} in {work}; machine shared with other sessions")

    times: dict[str, list[float]] = {}

    def note(key: str, seconds: float) -> None:
        times.setdefault(key, []).append(seconds)

    def clear_uploads() -> None:
        DataFile.objects.all().delete()
        shutil.rmtree(storage / "uploads", ignore_errors=True)

    rss_growth: list[float] = []
    try:
        # --- folder storage against the bare PUT server ---------------------------------------
        port, bare_port = free_port(), free_port()
        bare_dir = work / "bare"
        bare_dir.mkdir()
        env["APERTURE_URL"] = f"http://127.0.0.1:{port}"
        server = web(env, port)
        bare = subprocess.Popen([PY, "-c", BARE_SERVER, str(bare_port), str(bare_dir)])
        wait_for_port(bare_port)
        try:
            for round_ in range(REPEATS):
                peaks = {}
                for label, path in files.items():
                    order = ["aperture", "bare"] if round_ % 2 == 0 else ["bare", "aperture"]
                    for who in order:
                        # Untimed: the disk writes the previous upload left dirty in the page
                        # cache (Aperture's stored files stay for the round; the bare server's
                        # are deleted at once, so their writes are dropped), so neither side
                        # pays for the other's writeback.
                        os.sync()
                        if who == "aperture":
                            with RssSampler(server.pid) as sampler:
                                seconds = cli_upload(env, str(submission.pk), path)
                            peaks[label] = sampler.peak
                            note(f"folder.{label}", seconds)
                        else:
                            note(f"bare.{label}", bare_put(bare_port, path))
                            (bare_dir / path.name).unlink()
                    print(
                        f"# round {round_ + 1} folder {label}: aperture "
                        f"{times[f'folder.{label}'][-1]:.1f}s, bare PUT "
                        f"{times[f'bare.{label}'][-1]:.1f}s",
                        flush=True,
                    )
                rss_growth.append((peaks["4g"] - peaks["1g"]) / 2**20)
                print(
                    f"# round {round_ + 1} web RSS peaks: 1 GiB {peaks['1g'] / 2**20:.0f} MiB, "
                    f"4 GiB {peaks['4g'] / 2**20:.0f} MiB",
                    flush=True,
                )
                if round_ == 0:
                    # --- fixity on the stored 4 GiB file, against openssl and hashlib ---------
                    big = DataFile.objects.get(name="4g.bin")
                    fixity_rounds(file_id=str(big.pk), stored=storage / big.storage_key, note=note)
                    print(
                        "# fixity 4 GiB (s): "
                        + ", ".join(
                            f"{who} {' '.join(f'{t:.1f}' for t in times[f'fixity.{who}'])}"
                            for who in ("aperture", "openssl", "hashlib")
                        ),
                        flush=True,
                    )
                clear_uploads()
        finally:
            stop(server)
            stop(bare)  # type: ignore[arg-type]

        if WITH_S3:
            # --- S3 (moto server) ----------------------------------------------------------------
            import boto3
            from moto.server import ThreadedMotoServer

            moto = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
            moto.start()
            host, moto_port = moto.get_host_and_port()
            endpoint = f"http://{host}:{moto_port}"
            s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
            s3.create_bucket(Bucket="bench-staging")
            env.update(BENCH_S3_ENDPOINT=endpoint, BENCH_BUCKET="bench-staging")
            port = free_port()
            env["APERTURE_URL"] = f"http://127.0.0.1:{port}"
            server = web(env, port)

            def empty_bucket() -> None:
                for item in s3.list_objects_v2(Bucket="bench-staging").get("Contents", []):
                    s3.delete_object(Bucket="bench-staging", Key=item["Key"])

            try:
                for round_ in range(REPEATS):
                    for label, path in files.items():
                        order = ["aperture", "boto3"] if round_ % 2 == 0 else ["boto3", "aperture"]
                        for who in order:
                            if who == "aperture":
                                note(f"s3.{label}", cli_upload(env, str(submission.pk), path))
                                DataFile.objects.all().delete()
                            else:
                                started = time.perf_counter()
                                s3.upload_file(str(path), "bench-staging", f"boto3-{label}")
                                note(f"boto3.{label}", time.perf_counter() - started)
                            empty_bucket()
                        print(
                            f"# round {round_ + 1} s3 {label}: aperture "
                            f"{times[f's3.{label}'][-1]:.1f}s, "
                            f"boto3 {times[f'boto3.{label}'][-1]:.1f}s",
                            flush=True,
                        )
            finally:
                stop(server)
                moto.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def total(kind: str) -> float:
        return sum(med(times[f"{kind}.{label}"]) for label in SIZES)

    size = sum(SIZES.values())
    for label in SIZES:
        print(
            f"# medians {label}: folder {med(times[f'folder.{label}']):.1f}s, bare PUT "
            f"{med(times[f'bare.{label}']):.1f}s"
            + (
                f", s3 {med(times[f's3.{label}']):.1f}s, boto3 {med(times[f'boto3.{label}']):.1f}s"
                if WITH_S3
                else ""
            )
        )
    print(f"BENCH upload.folder.mb_s {size / total('folder') / 1e6:.1f}")
    print(f"BENCH upload.bare_put.mb_s {size / total('bare') / 1e6:.1f}")
    print(f"BENCH upload.folder.ratio_vs_bare_put {total('bare') / total('folder'):.3f}")
    if WITH_S3:
        print(f"BENCH upload.s3.mb_s {size / total('s3') / 1e6:.1f}")
        print(f"BENCH upload.s3.ratio_vs_boto3 {total('boto3') / total('s3'):.3f}")
    print(f"BENCH upload.web_rss_growth_mib {med(rss_growth):.1f}")
    fixity = med(times["fixity.aperture"])
    print(f"BENCH fixity.aperture.mb_s {SIZES['4g'] / fixity / 1e6:.1f}")
    print(f"BENCH fixity.ratio_vs_openssl {med(times['fixity.openssl']) / fixity:.3f}")
    print(f"BENCH fixity.ratio_vs_hashlib {med(times['fixity.hashlib']) / fixity:.3f}")


if __name__ == "__main__":
    main()
