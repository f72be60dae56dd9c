"""`aperture upload <submission> PATH...`: resumable, checksummed, parallel uploads.

Each file goes through Aperture's upload protocol: create (or resume) an upload, send the
missing parts in parallel to the URLs the server signs, complete. Ctrl-C or a lost network
leaves a state file behind; running the same command again lists the parts that arrived and
sends only the rest.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

from submissions.cli.config import UploadState, load_settings
from submissions.cli.errors import UsageError, describe, http_failure
from submissions.cli.signing import BatchSigner
from submissions.cli.transfer import (
    Interrupted,
    Part,
    PartSender,
    RateLimit,
    UploadError,
    WholeFileHash,
)
from submissions.core.units import format_bytes

USAGE = "aperture upload [options] SUBMISSION PATH..."


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="aperture upload", usage=USAGE, description=__doc__)
    parser.add_argument("submission", help="the submission's id (see its page or the API)")
    parser.add_argument("paths", nargs="+", type=Path, help="files and folders to upload")
    parser.add_argument("--url", help="Aperture's address (default: APERTURE_URL or config)")
    parser.add_argument("--token", help="API token (default: APERTURE_TOKEN or config)")
    parser.add_argument("-j", "--jobs", type=int, default=4, help="parts sent at once (4)")
    parser.add_argument("--checksum", choices=["crc32c", "sha256"], default="crc32c")
    parser.add_argument("--max-rate", help="bandwidth limit, e.g. 20M (bytes per second)")
    parser.add_argument("--wait", action="store_true", help="wait for the server's SHA-256")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return parser.parse_args(argv)


def _rate(text: str | None) -> float | None:
    if not text:
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kKmMgG]?)i?[bB]?", text.strip())
    if not match:
        raise UsageError(f"--max-rate {text!r} is not a rate like 20M")
    scale = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}[match.group(2).lower()]  # decimal
    return float(match.group(1)) * scale


def collect(paths: list[Path]) -> list[tuple[Path, str]]:
    """(local path, name on the server): folders keep their own name and inner layout."""
    found: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            base = path.resolve().parent
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    file = Path(root) / name
                    found.append((file, file.resolve().relative_to(base).as_posix()))
        elif path.is_file():
            found.append((path, path.name))
        else:
            raise UsageError(f"{path} is not a file or folder")
    return found


class Uploader:
    def __init__(self, args: argparse.Namespace) -> None:
        settings = load_settings(url=args.url, token=args.token)
        if not settings.token:
            raise UsageError(
                'no API token. Set APERTURE_TOKEN or put `token = "…"` in '
                "~/.config/aperture/config.toml (get one at Account → API token)."
            )
        self.args = args
        self.server = settings.url
        headers = {"Authorization": f"Token {settings.token}"}
        timeout = httpx.Timeout(60.0, connect=15.0)
        self.api = httpx.Client(base_url=settings.url, headers=headers, timeout=timeout)
        limits = httpx.Limits(max_connections=args.jobs, max_keepalive_connections=args.jobs)
        self.plain = httpx.Client(base_url=settings.url, timeout=timeout, limits=limits)
        self.state = UploadState()
        self.stop = threading.Event()
        self.limit = RateLimit(_rate(args.max_rate))

    def close(self) -> None:
        self.api.close()
        self.plain.close()

    def say(self, text: str) -> None:
        tqdm.write(text, file=sys.stderr)

    def check_submission(self, files: list[tuple[Path, str]]) -> None:
        response = self.api.get(f"/api/v1/submissions/{self.args.submission}/")
        if response.status_code == 404:
            raise UploadError(
                f"no submission {self.args.submission} that you can upload to at "
                f"{self.server} (check the id: aperture submissions lists yours)"
            )
        if response.status_code != 200:
            raise http_failure(response)
        facility = response.json()["facility"]
        manifest = [{"name": name, "size": path.stat().st_size} for path, name in files]
        check = self.api.post(
            "/api/v1/quota/check/", json={"facility": facility, "files": manifest}
        )
        if check.status_code == 409:
            raise UploadError(check.json().get("message", "This would exceed your quota."))
        if check.status_code != 200:
            raise http_failure(check)

    def upload(self, path: Path, name: str) -> dict[str, Any]:
        size = path.stat().st_size
        # The whole file's SHA-256 starts at once, beside everything else: on a small file it
        # would otherwise still be running when the last part is in.
        fd = os.open(path, os.O_RDONLY)
        whole = WholeFileHash(fd, size, self.stop)
        whole.start()
        try:
            return self._upload(path, name, size, fd, whole)
        finally:
            whole.cancel()  # a failed part: this file stops here, the next one goes on
            whole.join()
            os.close(fd)

    def _upload(
        self, path: Path, name: str, size: int, fd: int, whole: WholeFileHash
    ) -> dict[str, Any]:
        key = UploadState.key(server=self.server, submission=self.args.submission, file=path)
        upload = self._resume(key) or self._create(path, name, size, key)
        if upload["status"] != "uploading":
            return upload
        listed = self.api.get(f"/api/v1/uploads/{upload['id']}/parts/")
        if listed.status_code != 200:
            raise http_failure(listed)
        arrived = {p["number"]: p["size"] for p in listed.json()}
        part_size = upload["part_size"]
        parts = [
            Part(n, (n - 1) * part_size, min(part_size, size - (n - 1) * part_size))
            for n in range(1, upload["part_count"] + 1)
        ]
        todo = [p for p in parts if arrived.get(p.number) != p.size]
        there = size - sum(p.size for p in todo)
        if len(todo) < len(parts):
            self.say(
                f"Resuming {name}: {len(parts) - len(todo)} of {len(parts)} parts already on "
                f"the server ({format_bytes(there)})"
            )
        bar = tqdm(
            total=size,
            initial=there,
            desc=name[-40:],
            unit="B",
            unit_scale=True,
            unit_divisor=1000,  # decimal units, as every page and message of Aperture
            disable=self.args.quiet,
            leave=True,
        )
        lock = threading.Lock()
        landed = [len(parts) - len(todo), there]

        def accepted(nbytes: int) -> None:  # only parts the server took count
            with lock:
                landed[0] += 1
                landed[1] += nbytes
                bar.update(nbytes)

        sender = PartSender(
            self.api, self.plain, upload["id"], upload["checksum_algorithm"], self.stop,
            self.limit, accepted, notice=lambda text: self.say(f"{name}: {text}"),
            signer=BatchSigner(
                self.api, upload["id"], upload["checksum_algorithm"], fd, todo, self.stop
            ),
        )  # fmt: skip
        try:
            self._send_all(sender, fd, todo)
            sha256 = whole.result()
        except (KeyboardInterrupt, Interrupted):
            self.stop.set()
            bar.close()
            self.say(
                f"{name}: {landed[0]} of {len(parts)} parts ({format_bytes(landed[1])}) are "
                "on the server."
            )
            raise
        finally:
            bar.close()
        # The server checks the stored file against the SHA-256 of what was read here.
        response = self.api.post(
            f"/api/v1/uploads/{upload['id']}/complete/", json={"sha256": sha256}
        )
        if response.status_code != 200:
            raise UploadError(f"{name}: {_refusal(response)}")
        self.state.put(key, None)
        return dict(response.json())

    def _send_all(self, sender: PartSender, fd: int, todo: list[Part]) -> None:
        with ThreadPoolExecutor(max_workers=max(1, self.args.jobs)) as pool:
            futures = [pool.submit(sender.send, fd, part) for part in todo]
            try:
                done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            except KeyboardInterrupt:
                self.stop.set()
                for future in futures:
                    future.cancel()
                raise
            for future in done:
                if future.exception() is not None:
                    self.stop.set()
                    raise future.exception()  # type: ignore[misc]

    def _resume(self, key: str) -> dict[str, Any] | None:
        upload_id = self.state.get(key)
        if not upload_id:
            return None
        response = self.api.get(f"/api/v1/uploads/{upload_id}/")
        if response.status_code != 200 or response.json()["status"] in {"aborted", "failed"}:
            self.state.put(key, None)
            return None
        return dict(response.json())

    def _create(self, path: Path, name: str, size: int, key: str) -> dict[str, Any]:
        stat = path.stat()
        fingerprint = hashlib.sha256(
            f"{path.resolve()}|{size}|{stat.st_mtime_ns}".encode()
        ).hexdigest()
        response = self.api.post(
            "/api/v1/uploads/",
            json={
                "submission": self.args.submission,
                "name": name,
                "size": size,
                "checksum_algorithm": self.args.checksum,
                "fingerprint": fingerprint,
            },
        )
        if response.status_code not in (200, 201):
            raise UploadError(f"{name}: {_refusal(response)}")
        upload = dict(response.json())
        self.state.put(key, upload["id"])
        return upload

    def wait_verified(self, upload: dict[str, Any]) -> dict[str, Any]:
        while upload["status"] == "uploaded":
            time.sleep(2)
            response = self.api.get(f"/api/v1/uploads/{upload['id']}/")
            if response.status_code != 200:
                raise http_failure(response)
            upload = dict(response.json())
        return upload


def _refusal(response: httpx.Response) -> str:
    """The server's own words for a refusal it explains (4xx with a message), else one line
    naming the URL and what to check."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if 400 <= response.status_code < 500 and isinstance(body, dict) and body.get("message"):
        fields = body.get("fields") or {}
        detail = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in fields.items())
        return f"{body['message']}" + (f" ({detail})" if detail else "")
    return str(http_failure(response))


def main(argv: list[str]) -> int:
    args = _parse(argv)
    files = collect(args.paths)
    if not files:
        raise UsageError(f"no files in {', '.join(map(str, args.paths))}: nothing to upload")
    uploader = Uploader(args)
    failed = 0
    try:
        uploader.check_submission(files)
        for path, name in files:
            try:
                result = uploader.upload(path, name)
            except UploadError as exc:
                failed += 1
                uploader.say(f"✗ {name}: {exc}")
                continue
            except httpx.TransportError as exc:
                failed += 1
                uploader.say(f"✗ {name}: {describe(exc)[0]} Run the command again to resume.")
                continue
            if args.wait:
                result = uploader.wait_verified(result)
            detail = f"sha256 {result['sha256']}" if result.get("sha256") else result["status"]
            mark = "✓"
            if result["status"] == "failed":
                failed += 1
                mark, detail = "✗", f"failed: {result['failure_message']}"
            uploader.say(f"{mark} {result['name']} ({format_bytes(result['size'])}): {detail}")
    except (KeyboardInterrupt, Interrupted):
        uploader.stop.set()
        uploader.say("Interrupted. Run the same command again to resume where it stopped.")
        return 130
    except UploadError as exc:
        uploader.say(f"aperture upload: {exc}")
        return 1
    finally:
        uploader.close()
    return 1 if failed else 0
