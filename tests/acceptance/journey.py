"""The journey through HTTP only, against a running Topology.

A researcher uploads a TIFF with the CLI and an ICS (a format only Bio-Formats reads) in the
browser; both are inspected; a curator reviews and approves; the workers convert and
publish; an anonymous reader opens the OME-Zarr through the public URLs with zarr-python and
the pixels are compared with what was uploaded. Then one conversion worker is killed in the
middle of a job, and the other finishes it: the dataset is published once.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import tifffile
import zarr

from submissions.conversion import bioformats
from tests.acceptance.topology import PYTHON, ROOT, Topology, wait_for
from tests.rembi_documents import complete_rembi

PASSWORD = "aperture-demo"
RESEARCHER = "researcher@demo.aperture"
CURATOR = "curator@demo.aperture"


@dataclass
class Report:
    phases: list[tuple[str, float]] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def phase(self, name: str) -> _Phase:
        return _Phase(self, name)


class _Phase:
    def __init__(self, report: Report, name: str) -> None:
        self.report, self.name = report, name

    def __enter__(self) -> None:
        self.started = time.monotonic()
        print(f"--- {self.name}", flush=True)

    def __exit__(self, *exc: object) -> None:
        seconds = time.monotonic() - self.started
        self.report.phases.append((self.name, seconds))
        state = "FAILED" if exc[0] else "ok"
        print(f"PHASE {self.name:<46} {seconds:7.1f} s  {state}", flush=True)


def image(shape: tuple[int, ...], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 65535, size=shape, dtype=np.uint16, endpoint=True)


def write_ome_tiff(path: Path, data: np.ndarray) -> Path:
    tifffile.imwrite(path, data, ome=True, photometric="minisblack", metadata={"axes": "CZYX"})
    return path


def write_ics(path: Path, data: np.ndarray) -> Path:
    """An ICS file written by Bio-Formats itself from an OME-TIFF of ``data``."""
    tools = bioformats.find_tools()
    assert tools is not None, "Java and the Bio-Formats jar are needed (make install)"
    source = write_ome_tiff(path.with_suffix(".src.ome.tif"), data)
    args = bioformats.java_args(
        tools,
        main_class="loci.formats.tools.ImageConverter",
        scratch_dir=path.parent,
        memory_limit_bytes=2**30,
    )
    subprocess.run(
        [*args, "-no-upgrade", "-overwrite", str(source), str(path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    source.unlink()
    return path


class Journey:
    def __init__(self, topology: Topology, work: Path, report: Report) -> None:
        self.topology = topology
        self.url = topology.url
        self.work = work
        self.report = report
        self.verify = str(topology.cert)
        # aiohttp (zarr's fsspec store) and httpx (the CLI) trust this run's certificate.
        os.environ["SSL_CERT_FILE"] = str(topology.cert)

    # --- HTTP helpers ------------------------------------------------------------------------

    def session(self, email: str) -> httpx.Client:
        """Signed in through allauth's login form, as a browser would."""
        client = httpx.Client(base_url=self.url, verify=self.verify, timeout=60)
        client.get("/accounts/login/")
        response = client.post(
            "/accounts/login/",
            data={
                "login": email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": client.cookies["csrftoken"],
            },
            headers={"Referer": f"{self.url}/accounts/login/"},
        )
        assert response.status_code in (200, 302), response.text[:500]
        assert "sessionid" in client.cookies, "login failed"
        return client

    def api(self, email: str) -> httpx.Client:
        session = self.session(email)
        made = session.post(
            "/api/v1/me/tokens/",
            json={"name": "acceptance"},
            headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": self.url + "/"},
        )
        assert made.status_code == 201, made.text[:500]
        token = made.json()["token"]
        return httpx.Client(
            base_url=self.url,
            verify=self.verify,
            timeout=60,
            headers={"Authorization": f"Token {token}"},
        )

    def cli(self, token: str, *args: str) -> str:
        completed = subprocess.run(
            [str(Path(PYTHON).parent / "aperture"), *args],  # the installed console script
            cwd=self.work,
            env={
                **os.environ,
                "APERTURE_URL": self.url,
                "APERTURE_TOKEN": token,
                "SSL_CERT_FILE": self.verify,
                "PYTHONPATH": str(ROOT),
                "HOME": str(self.work),
            },
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert completed.returncode == 0, f"aperture {args[0]}: {completed.stderr[-2000:]}"
        return completed.stdout

    # --- Steps ---------------------------------------------------------------------------------

    def wait_healthy(self) -> None:
        def all_green() -> bool:
            self.topology.check_running()
            response = httpx.get(f"{self.url}/healthz", verify=self.verify, timeout=10)
            return response.status_code == 200

        wait_for(all_green, timeout=120, what="/healthz all green (web, workers, S3)")

    def new_submission(self, researcher: httpx.Client, title: str) -> str:
        token = researcher.headers["Authorization"].split()[1]
        submission_id = self.cli(token, "new", title).split()[0]
        metadata = complete_rembi(title=title, release_date=dt.date.today().isoformat())
        response = researcher.patch(
            f"/api/v1/submissions/{submission_id}/", json={"metadata": metadata}
        )
        assert response.status_code == 200, response.text[:500]
        return submission_id

    def cli_upload(self, researcher: httpx.Client, submission_id: str, path: Path) -> None:
        token = researcher.headers["Authorization"].split()[1]
        self.cli(token, "upload", submission_id, str(path))

    def browser_upload(self, submission_id: str, path: Path) -> None:
        from playwright.sync_api import sync_playwright

        from tests.browser import CHROMIUM, LAUNCH_ARGS, login

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            context = browser.new_context(ignore_https_errors=True)
            context.set_default_timeout(60_000)
            page = context.new_page()
            # What the browser saw goes to the log, so a failed upload says why.
            page.on("console", lambda message: print(f"browser console: {message.text}"))
            page.on("pageerror", lambda error: print(f"browser error: {error}"))
            page.on(
                "requestfailed",
                lambda request: print(
                    f"browser request failed: {request.method} "
                    f"{request.url[:120]} {request.failure}"
                ),
            )
            login(page, self.url, RESEARCHER, PASSWORD)
            page.goto(f"{self.url}/submissions/{submission_id}/files/")
            page.locator("#upload-files").set_input_files([str(path)])
            page.get_by_role("button", name="Upload 1 file", exact=True).click()
            try:
                page.locator("#upload-summary").get_by_text(
                    "Upload complete: 1 verified."
                ).wait_for(timeout=120_000)
            except Exception:
                page.screenshot(path=str(self.work / "browser-upload-failed.png"), full_page=True)
                print("upload summary:", page.locator("#upload-summary").inner_text())
                print("upload list:", page.locator("#upload-list").inner_text()[:2000])
                raise
            page.locator("#file-table").get_by_text(path.name).first.wait_for()
            page.locator("#file-table").get_by_text(
                re.compile("^(Verified|Inspected)$")
            ).first.wait_for(timeout=120_000)
            page.screenshot(path=str(self.work / "browser-upload.png"), full_page=True)
            browser.close()

    def files(self, client: httpx.Client, submission_id: str) -> dict[str, dict[str, Any]]:
        response = client.get("/api/v1/uploads/", params={"submission": submission_id})
        rows = response.json()
        rows = rows.get("results", rows) if isinstance(rows, dict) else rows
        return {row["name"]: row for row in rows}

    def wait_inspected(
        self, client: httpx.Client, submission_id: str, count: int
    ) -> dict[str, Any]:
        def inspected() -> dict[str, Any] | None:
            self.topology.check_running()
            found = self.files(client, submission_id)
            failed = [
                f"{n}: {r.get('failure_message')}"
                for n, r in found.items()
                if r["status"] == "failed"
            ]
            assert not failed, f"inspection failed: {failed}"
            done = [r for r in found.values() if r["status"] == "inspected"]
            return found if len(done) == count else None

        return wait_for(inspected, timeout=180, what=f"{count} files inspected", every=0.5)

    def submit_and_approve(self, researcher: httpx.Client, curator: httpx.Client, sid: str) -> None:
        response = researcher.post(f"/api/v1/submissions/{sid}/submit/")
        assert response.status_code == 200, response.text[:1000]
        for action in ("claim", "approve"):  # claiming starts the review
            response = curator.post(f"/api/v1/review/submissions/{sid}/{action}/", json={})
            assert response.status_code == 200, f"{action}: {response.text[:500]}"

    def processing(self, client: httpx.Client, sid: str) -> dict[str, Any]:
        return client.get(f"/api/v1/submissions/{sid}/processing/").json()

    def wait_published(
        self, client: httpx.Client, sid: str, timeout: float = 600
    ) -> dict[str, Any]:
        def published() -> dict[str, Any] | None:
            self.topology.check_running()
            state = self.processing(client, sid)
            assert state["status"] != "processing_failed", state
            return state if state["status"] == "published" else None

        return wait_for(published, timeout=timeout, what="published", every=1.0)

    def read_anonymously(self, accession: str, file_id: str) -> np.ndarray:
        """Level 0 of series 0, read by zarr-python through the public URLs only."""
        root = f"{self.url}/datasets/{accession}/files/{file_id}.ome.zarr"
        redirect = httpx.get(f"{root}/zarr.json", verify=self.verify, follow_redirects=False)
        assert redirect.status_code == 302, redirect.status_code
        assert self.topology.proxy is not None
        location = redirect.headers["location"]
        assert location.startswith(self.topology.proxy.url), location  # the public endpoint
        group = zarr.open_group(root, mode="r")
        return np.asarray(group["0"]["0"][...])

    def compare(self, label: str, expected: np.ndarray, got: np.ndarray) -> None:
        same = got.shape == (1, *expected.shape) and bool(np.array_equal(got[0], expected))
        verdict = f"PIXELS {label}: {'identical' if same else 'DIFFERENT'} {tuple(got.shape)}"
        self.report.verdicts.append(verdict)
        print(verdict, flush=True)
        assert same, verdict
