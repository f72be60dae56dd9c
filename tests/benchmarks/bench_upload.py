"""`make bench-upload`: Aperture's upload path against its peers, in the same run.

- folder storage: `aperture upload` (4 parallel parts) to gunicorn (4 sync workers) writing to
  disk, against `cp` of the same file to the same disk;
- S3 (a local moto server): `aperture upload` with presigned part URLs, against boto3's
  `upload_file` to the same endpoint;
- the web process's peak RSS while receiving 4 GiB minus while receiving 1 GiB;
- the fixity task's whole-file SHA-256 against `sha256sum` on the same file.
Generated files are deleted at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
GIB = 1024**3
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

    results: dict[str, float] = {}
    try:
        # --- folder storage -----------------------------------------------------------------
        port = free_port()
        env["APERTURE_URL"] = f"http://127.0.0.1:{port}"
        server = web(env, port)
        peaks = {}
        try:
            for label, path in files.items():
                with RssSampler(server.pid) as sampler:
                    seconds = cli_upload(env, str(submission.pk), path)
                peaks[label] = sampler.peak
                copy = storage / f"cp-{label}"
                started = time.perf_counter()
                subprocess.run(["cp", "--reflink=never", str(path), str(copy)], check=True)
                cp_seconds = time.perf_counter() - started
                copy.unlink()
                mb_s = SIZES[label] / seconds / 1e6
                print(
                    f"# folder {label}: aperture {seconds:.1f}s ({mb_s:.0f} MB/s), "
                    f"cp {cp_seconds:.1f}s"
                )
                results[f"folder.{label}.s"], results[f"cp.{label}.s"] = seconds, cp_seconds
        finally:
            stop(server)
        results["rss"] = (peaks["4g"] - peaks["1g"]) / 2**20
        print(
            f"# web RSS peaks: 1 GiB {peaks['1g'] / 2**20:.0f} MiB, "
            f"4 GiB {peaks['4g'] / 2**20:.0f} MiB"
        )

        # --- fixity: the verification task against sha256sum on the 4 GiB stored file --------
        from submissions.uploads.services import verify_upload

        big = DataFile.objects.get(name="4g.bin")
        started = time.perf_counter()
        verify_upload(file_id=str(big.pk))
        fixity_seconds = time.perf_counter() - started
        big.refresh_from_db()
        assert big.status == "verified", big.failure_message
        started = time.perf_counter()
        out = subprocess.run(
            ["sha256sum", str(storage / big.storage_key)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        sum_seconds = time.perf_counter() - started
        assert out.split()[0] == big.sha256
        print(f"# fixity 4 GiB: aperture {fixity_seconds:.1f}s, sha256sum {sum_seconds:.1f}s")
        DataFile.objects.all().delete()
        shutil.rmtree(storage / "uploads", ignore_errors=True)

        # --- S3 (moto server) --------------------------------------------------------------------
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
        try:
            for label, path in files.items():
                seconds = cli_upload(env, str(submission.pk), path)
                for item in s3.list_objects_v2(Bucket="bench-staging").get("Contents", []):
                    s3.delete_object(Bucket="bench-staging", Key=item["Key"])
                started = time.perf_counter()
                s3.upload_file(str(path), "bench-staging", f"boto3-{label}")
                boto_seconds = time.perf_counter() - started
                s3.delete_object(Bucket="bench-staging", Key=f"boto3-{label}")
                mb_s = SIZES[label] / seconds / 1e6
                print(
                    f"# s3 {label}: aperture {seconds:.1f}s ({mb_s:.0f} MB/s), "
                    f"boto3 {boto_seconds:.1f}s"
                )
                results[f"s3.{label}.s"], results[f"boto3.{label}.s"] = seconds, boto_seconds
        finally:
            stop(server)
            moto.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    total = sum(SIZES.values())
    folder = sum(results[f"folder.{k}.s"] for k in SIZES)
    cp = sum(results[f"cp.{k}.s"] for k in SIZES)
    s3_time = sum(results[f"s3.{k}.s"] for k in SIZES)
    boto = sum(results[f"boto3.{k}.s"] for k in SIZES)
    print(f"BENCH upload.folder.mb_s {total / folder / 1e6:.1f}")
    print(f"BENCH upload.folder.ratio_vs_cp {cp / folder:.3f}")
    print(f"BENCH upload.s3.mb_s {total / s3_time / 1e6:.1f}")
    print(f"BENCH upload.s3.ratio_vs_boto3 {boto / s3_time:.3f}")
    print(f"BENCH upload.web_rss_growth_mib {results['rss']:.1f}")
    print(f"BENCH fixity.ratio_vs_sha256sum {sum_seconds / fixity_seconds:.3f}")


if __name__ == "__main__":
    main()
