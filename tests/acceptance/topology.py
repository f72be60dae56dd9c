"""The production topology, started as separate processes on this machine.

Each Aperture process (gunicorn, a default-queue worker, two conversion workers, beat) gets
its own working directory, var dir, scratch and TMPDIR, as separate hosts would: nothing but
PostgreSQL, Redis and S3 is shared. S3 is moto's server on an internal port; browsers, the
CLI and anonymous readers reach it through a TLS-terminating proxy on another port (the
public endpoint, S3_PUBLIC_ENDPOINT_URL). gunicorn serves HTTPS with a certificate made for
this run, so the production settings run unchanged (secure cookies, HSTS, SSL redirect).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:
            value = None
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, valid for this run."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aperture-acceptance")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class TlsProxy:
    """The public S3 endpoint: TLS in front of moto's plain HTTP, like a load balancer.

    asyncio in a thread of its own: one TLS stream per connection, read and written by one
    event loop (an SSLSocket shared by two threads would garble the stream).
    """

    def __init__(self, *, target_port: int, cert: Path, key: Path) -> None:
        import asyncio

        self.target_port = target_port
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self.connections = 0
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        holder: dict[str, Any] = {}

        async def serve() -> None:
            server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=context)
            holder["server"] = server
            ready.set()
            async with server:
                await server.serve_forever()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                self.loop.run_until_complete(serve())

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)
        self.server = holder["server"]
        self.port = int(self.server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)

    async def _handle(self, reader: Any, writer: Any) -> None:
        import asyncio

        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return

        async def pump(source: Any, target: Any) -> None:
            try:
                while data := await source.read(65536):
                    target.write(data)
                    await target.drain()
            except (OSError, ConnectionError, ssl.SSLError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    target.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))


@dataclass
class Process:
    name: str
    args: list[str]
    home: Path
    env: dict[str, str]
    popen: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.home / "process.log"

    def start(self) -> None:
        handle = self.log.open("ab")
        self.popen = subprocess.Popen(
            self.args,
            cwd=self.home,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def family(self) -> list[psutil.Process]:
        if self.popen is None:
            return []
        try:
            leader = psutil.Process(self.popen.pid)
            return [leader, *leader.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def kill(self) -> None:
        """SIGKILL the process and everything it started, as when its host dies."""
        for member in self.family():
            with contextlib.suppress(psutil.NoSuchProcess):
                member.send_signal(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait(timeout=15)

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class Topology:
    """Services and processes; `start()` then `stop()` (always, also after a failure)."""

    def __init__(self, *, root: Path, database_url: str, redis_url: str) -> None:
        self.root = root
        self.database_url = database_url
        self.redis_url = redis_url
        self.processes: dict[str, Process] = {}
        self.web_port = free_port()
        root.mkdir(parents=True, exist_ok=True)
        self.cert, self.key = make_certificate(root)
        self.moto: Any = None
        self.proxy: TlsProxy | None = None
        self.buckets = {
            "staging": f"acc-staging-{uuid.uuid4().hex[:6]}",
            "archive": f"acc-archive-{uuid.uuid4().hex[:6]}",
        }
        self.secret = uuid.uuid4().hex * 2

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.web_port}"

    def _start_s3(self) -> None:
        import boto3
        from moto.server import ThreadedMotoServer

        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.internal_s3 = f"http://{host}:{port}"
        self.proxy = TlsProxy(target_port=port, cert=self.cert, key=self.key)
        client = boto3.client(
            "s3",
            endpoint_url=self.internal_s3,
            region_name="us-east-1",
            aws_access_key_id="acceptance",
            aws_secret_access_key="acceptance-secret",
        )
        for bucket in self.buckets.values():
            client.create_bucket(Bucket=bucket)
        # Browsers PUT upload parts straight to the staging bucket (README, "Uploading").
        client.put_bucket_cors(
            Bucket=self.buckets["staging"],
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": [self.url],
                        "AllowedMethods": ["PUT", "GET", "HEAD"],
                        "AllowedHeaders": ["*"],
                        "ExposeHeaders": ["ETag"],
                    }
                ]
            },
        )

    def environment(self, home: Path) -> dict[str, str]:
        assert self.proxy is not None
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "APERTURE_", "AWS_", "S3_", "CELERY_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="portal.settings.production",
            DJANGO_SECRET_KEY=self.secret,
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_CSRF_TRUSTED_ORIGINS=self.url,
            APERTURE_SITE_URL=self.url,
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            S3_ENDPOINT_URL=self.internal_s3,
            S3_PUBLIC_ENDPOINT_URL=self.proxy.url,
            AWS_ACCESS_KEY_ID="acceptance",
            AWS_SECRET_ACCESS_KEY="acceptance-secret",
            STAGING_BUCKET=self.buckets["staging"],
            ARCHIVE_BUCKET=self.buckets["archive"],
            EMAIL_URL=f"filemail://{home / 'mail'}",
            APERTURE_VAR_DIR=str(home / "var"),
            CONVERSION_SCRATCH_DIR=str(home / "scratch"),
            CELERY_BEAT_SCHEDULE_FILENAME=str(home / "var" / "celerybeat-schedule"),
            # Built once, like the web image's collectstatic layer (read-only at run time).
            STATIC_ROOT=str(self.root / "image-static"),
            TMPDIR=str(home / "tmp"),
            HOME=str(home),
            PYTHONPATH=str(ROOT),
            METRICS_TOKEN="acceptance-metrics",
            LOG_FORMAT="json",
            # Short deadlines so the sweeper notices a dead worker within seconds.
            PROCESSING_HEARTBEAT_SECONDS="1",
            PROCESSING_STALE_SECONDS="8",
            PROCESSING_QUEUED_DEADLINE_SECONDS="10",
            PROCESSING_SWEEP_SECONDS="2",
            PROCESSING_RETRY_BACKOFF_SECONDS="1",
            CONVERSION_MAX_WORKERS="1",
            CONVERSION_MEMORY_LIMIT_BYTES=str(2 * 2**30),
        )
        env.pop("BIOFORMATS2RAW", None)  # not installable here: Bio-Formats' own tools instead
        return env

    def _process(self, name: str, args: list[str]) -> Process:
        home = self.root / name
        for sub in ("var", "scratch", "tmp"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        process = Process(name=name, args=args, home=home, env=self.environment(home))
        self.processes[name] = process
        return process

    def manage(self, *args: str) -> str:
        home = self.root / "operator"
        for sub in ("var", "scratch", "tmp"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        completed = subprocess.run(
            [PYTHON, str(ROOT / "manage.py"), *args],
            cwd=home,
            env=self.environment(home),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if completed.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{completed.stderr[-3000:]}")
        return completed.stdout

    def start(self) -> None:
        started = time.monotonic()
        self._start_s3()
        self.manage("collectstatic", "--no-input")
        print(f"  collectstatic done at {time.monotonic() - started:.1f} s", flush=True)
        self.manage("migrate", "--no-input")
        print(f"  migrate done at {time.monotonic() - started:.1f} s", flush=True)
        celery = [PYTHON, "-m", "celery", "-A", "portal"]
        self._process(
            "web",
            [
                PYTHON, "-m", "gunicorn", "portal.wsgi:application",
                "--bind", f"127.0.0.1:{self.web_port}", "--workers", "3", "--timeout", "120",
                "--certfile", str(self.cert), "--keyfile", str(self.key),
            ],
        )  # fmt: skip
        self._process(
            "worker-default",
            [
                *celery,
                "worker",
                "-Q",
                "default",
                "-n",
                "default@acceptance",
                "-c",
                "2",
                "-l",
                "INFO",
            ],
        )
        for index in (1, 2):
            self._process(
                f"worker-conversion-{index}",
                [
                    *celery,
                    "worker",
                    "-Q",
                    "conversion",
                    "-n",
                    f"conversion{index}@acceptance",
                    "-c",
                    "1",
                    "--prefetch-multiplier",
                    "1",
                ],
            )
        self._process("beat", [*celery, "beat"])
        for process in self.processes.values():
            process.start()

    def check_running(self) -> None:
        for process in self.processes.values():
            if process.popen is not None and process.popen.poll() is not None:
                raise AssertionError(f"{process.name} exited:\n{process.tail()}")

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()
        if self.proxy is not None:
            self.proxy.close()
        if self.moto is not None:
            self.moto.stop()
