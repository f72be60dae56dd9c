"""`make acceptance`: the production topology on this machine and a full journey over HTTP.

Needs PostgreSQL (a database of its own is created and dropped) and Redis (a db number of its
own): ACCEPTANCE_DATABASE_SERVER (default postgres://postgres@127.0.0.1:5432) and
ACCEPTANCE_REDIS_URL (default redis://127.0.0.1:6379/14). S3 is moto's server, started here.
Prints each phase's time and the pixel verdicts; exits 1 if anything failed.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path

import numpy as np
import psycopg
import redis

from tests.acceptance.journey import (
    CURATOR,
    RESEARCHER,
    Journey,
    Report,
    image,
    write_ics,
    write_ome_tiff,
)
from tests.acceptance.topology import Topology, wait_for

CONVERTER_PROCESSES = ("loci.formats.tools", "submissions.conversion.cli")


def _database(server: str) -> tuple[str, str]:
    name = f"aperture_acceptance_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return name, f"{server}/{name}"


def _drop(server: str, name: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def journey(topology: Topology, work: Path, report: Report) -> None:
    trip = Journey(topology, work, report)
    with report.phase("start: gunicorn, 4 workers, beat, S3, healthz green"):
        topology.start()
        trip.wait_healthy()
        topology.manage("seed_demo")  # the operator creates the accounts (not HTTP)
    with report.phase("researcher: sign in, API token"):
        researcher = trip.api(RESEARCHER)
        curator = trip.api(CURATOR)
    tiff_pixels = image((2, 3, 300, 280), seed=1)
    ics_pixels = image((2, 4, 256, 200), seed=2)
    tiff = write_ome_tiff(work / "cells.ome.tif", tiff_pixels)
    ics = write_ics(work / "nuclei.ics", ics_pixels)
    with report.phase("upload: TIFF with the CLI"):
        sid = trip.new_submission(researcher, "Acceptance journey: a TIFF and an ICS file")
        trip.cli_upload(researcher, sid, tiff)
    with report.phase("upload: ICS in the browser (Chromium)"):
        trip.browser_upload(sid, ics)
    with report.phase("inspection (tifffile; Bio-Formats showinf)"):
        trip.wait_inspected(researcher, sid, 2)
    with report.phase("review and approval (curator, API)"):
        trip.submit_and_approve(researcher, curator, sid)
        # What the curator read in review: each file's inspection.
        detail = curator.get(f"/api/v1/review/submissions/{sid}/").json()
        inspected = {row["name"]: row["inspection"] for row in detail["files"]}
        ics_row = inspected["nuclei.ics"]
        assert ics_row["format_name"] == "Image Cytometry Standard", ics_row
        assert ics_row["reader"].startswith("Bio-Formats"), ics_row["reader"]
        assert inspected["cells.ome.tif"]["series"][0]["sizes"]["C"] == 2
    with report.phase("conversion and publication"):
        state = trip.wait_published(researcher, sid)
        converters = sorted(job["provenance"]["converter"] for job in state["jobs"])
        print(f"converters: {converters}", flush=True)
        assert converters == ["aperture-builtin", "bfconvert+aperture-builtin"], converters
    with report.phase("anonymous read of the OME-Zarr (zarr-python)"):
        accession = state["accession"]
        by_name = {job["file_name"]: job["file"] for job in state["jobs"]}
        trip.compare(
            "TIFF", tiff_pixels, trip.read_anonymously(accession, by_name["cells.ome.tif"])
        )
        trip.compare("ICS", ics_pixels, trip.read_anonymously(accession, by_name["nuclei.ics"]))
    kill_a_conversion_worker(trip, topology, work, report, researcher, curator)
    with report.phase("metrics (token-protected)"):
        text = trip.api(RESEARCHER).get("/metrics").status_code
        assert text == 404, "metrics must not be public"
        metrics = topology_metrics(topology)
        assert 'aperture_conversion_jobs{state="succeeded"} 3.0' in metrics, metrics[-2000:]


def topology_metrics(topology: Topology) -> str:
    import httpx

    response = httpx.get(
        f"{topology.url}/metrics",
        headers={"Authorization": "Bearer acceptance-metrics"},
        verify=str(topology.cert),
    )
    assert response.status_code == 200
    return response.text


def kill_a_conversion_worker(
    trip: Journey, topology: Topology, work: Path, report: Report, researcher, curator
) -> None:
    pixels = image((1, 48, 1024, 1024), seed=3)
    big = write_ics(work / "volume.ics", pixels)
    with report.phase("kill: upload and approve a 96 MiB ICS"):
        sid = trip.new_submission(researcher, "Acceptance journey: a conversion worker dies")
        trip.cli_upload(researcher, sid, big)
        trip.wait_inspected(researcher, sid, 1)
        trip.submit_and_approve(researcher, curator, sid)
    with report.phase("kill: SIGKILL the converting worker mid-job"):
        workers = [p for name, p in topology.processes.items() if name.startswith("worker-conv")]

        def converting() -> object:
            job = trip.processing(researcher, sid)["jobs"][0]
            assert job["state"] != "succeeded", "the job finished before it could be killed"
            for worker in workers:
                for member in worker.family():
                    if any(marker in " ".join(member.cmdline()) for marker in CONVERTER_PROCESSES):
                        return worker
            return None

        victim = wait_for(converting, timeout=180, what="a conversion in progress", every=0.05)
        victim.kill()
        survivor = next(w for w in workers if w is not victim)
        print(f"killed {victim.name} while converting; {survivor.name} remains", flush=True)
        del topology.processes[victim.name]
    with report.phase("kill: the other worker finishes, published once"):
        state = trip.wait_published(researcher, sid)
        job = state["jobs"][0]
        assert job["attempts"] >= 2, job
        events = researcher.get(f"/api/v1/submissions/{sid}/events/").json()
        events = events.get("results", events) if isinstance(events, dict) else events
        published = [e for e in events if e.get("to_status") == "published"]
        assert len(published) == 1, events
        got = trip.read_anonymously(state["accession"], job["file"])
        trip.compare("ICS after worker death", pixels, got)
        print(f"job attempts: {job['attempts']}; published events: {len(published)}", flush=True)


def main() -> int:
    server = os.environ.get("ACCEPTANCE_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432")
    redis_url = os.environ.get("ACCEPTANCE_REDIS_URL", "redis://127.0.0.1:6379/14")
    work = Path(tempfile.mkdtemp(prefix="aperture-acceptance-"))
    redis.Redis.from_url(redis_url).delete("default", "conversion", "unacked", "unacked_index")
    name, database_url = _database(server)
    report = Report()
    topology = Topology(root=work / "hosts", database_url=database_url, redis_url=redis_url)
    failed = False
    try:
        journey(topology, work, report)
    except Exception:
        failed = True
        traceback.print_exc()
        for process in topology.processes.values():
            print(f"\n===== {process.name} (last lines)\n{process.tail()}", file=sys.stderr)
    finally:
        topology.stop()
        _drop(server, name)
    total = time.monotonic() - report.started
    print("\n=== acceptance summary")
    for phase, seconds in report.phases:
        print(f"  {phase:<52} {seconds:7.1f} s")
    for verdict in report.verdicts:
        print(f"  {verdict}")
    print(f"  total {total:.1f} s: {'FAILED' if failed else 'PASSED'}")
    if not failed:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"  logs kept in {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
