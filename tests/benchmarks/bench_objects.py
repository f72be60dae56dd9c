"""Benchmark: objects per GiB (sharded vs unsharded) and scratch disk when writing to S3.

Not a pytest module. Run it directly:

    python tests/benchmarks/bench_objects.py [--sizes 1] [--s3]

For each size it writes the same uint16 OME-TIFF as bench_convert.py (2 channels x Z planes
of 2048 x 2048) and converts it with the built-in converter through runner.convert_file (a
child process, as in production), three ways: the default (NGFF 0.5, ~1 GiB shards of
1024 x 1024 chunks), NGFF 0.5 with one object per chunk, and NGFF 0.4. It counts the
objects each output holds per GiB of input pixels. With ``--s3`` it also converts the
default straight to a bucket on a local moto server, from the local file and from the same
file uploaded to a staging bucket (read by ranged GETs), and polls the size of the job's
scratch directory, reporting the peak: the local disk a conversion to S3 needs. moto is a
Python server in this process, so its MB/s are moto's, not S3's.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from submissions.conversion.runner import OutputFormat, convert_file
from submissions.conversion.target import S3Location
from tests.benchmarks.bench_convert import PeakRss, make_input

VARIANTS = {
    "sharded": OutputFormat(ngff_version="0.5"),
    "unsharded": OutputFormat(ngff_version="0.5", shard_bytes=0),
    "ngff04": OutputFormat(ngff_version="0.4"),
}


def _tree_bytes(root: Path) -> int:
    total = 0
    for directory, _, files in os.walk(root):
        for name in files:
            with contextlib.suppress(FileNotFoundError):  # removed while walking
                total += (Path(directory) / name).stat().st_size
    return total


class PeakDisk:
    """Polls the bytes under some folders (the job's scratch) every 50 ms."""

    def __init__(self, *roots: Path) -> None:
        self.roots = roots
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> PeakDisk:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(_tree_bytes(root) for root in self.roots))
            time.sleep(0.05)


def _convert(
    source: Path | S3Location, output: Path | S3Location, work: Path, fmt: OutputFormat
) -> float:
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    result = convert_file(
        input_path=source,
        output_path=output,
        scratch_dir=work,
        output_format=fmt,
        timeout_s=3600,
        max_workers=os.cpu_count() or 2,
        overwrite=True,
    )
    seconds = time.monotonic() - started
    _convert.objects = result.object_count  # type: ignore[attr-defined]
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1", help="input sizes in GiB, comma-separated")
    parser.add_argument("--s3", action="store_true", help="also convert to a local moto S3")
    parser.add_argument(
        "--s3-from",
        choices=("local", "s3", "both"),
        default="both",
        help="S3 runs read the local file, the S3 object, or both (moto keeps every object "
        "in memory: at 4 GiB, both need ~12 GiB)",
    )
    parser.add_argument("--no-folders", action="store_true", help="skip the folder variants")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="aperture-bench-objects-", dir="/tmp"))
    gib_bytes = 2**30
    try:
        for gib in [int(s) for s in args.sizes.split(",") if s]:
            source = scratch / f"input-{gib}gib.ome.tif"
            size = make_input(source, gib)
            for name, fmt in {} if args.no_folders else VARIANTS.items():
                output = scratch / f"{name}.ome.zarr"
                seconds = _convert(source, output, scratch / "work", fmt)
                objects = _convert.objects  # type: ignore[attr-defined]
                per_gib = objects / (size / gib_bytes)
                print(
                    f"# {gib} GiB {name:9}: {objects} objects ({per_gib:.1f}/GiB) "
                    f"in {seconds:.1f}s ({size / 1e6 / seconds:.0f} MB/s)",
                    flush=True,
                )
                print(f"BENCH convert.objects_per_gib.{name}.{gib}gib {per_gib:.1f}")
                shutil.rmtree(output)
            if args.s3:
                _s3_run(source, size, gib, scratch, read_from=args.s3_from)
            source.unlink()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def _s3_run(source: Path, size: int, gib: int, scratch: Path, *, read_from: str) -> None:
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket="archive")
        client.create_bucket(Bucket="staging")
        if read_from != "local":
            client.upload_file(str(source), "staging", f"uploads/bench/{gib}")

        def at(bucket: str, key: str) -> S3Location:
            return S3Location(
                bucket=bucket,
                prefix=key,
                endpoint_url=endpoint,
                region="us-east-1",
                addressing_style="path",
            )

        inputs: dict[str, Path | S3Location] = {
            "local file": source,
            "S3 object": at("staging", f"uploads/bench/{gib}"),
        }
        for label, given in inputs.items():
            if read_from != "both" and (read_from == "local") != isinstance(given, Path):
                continue
            work = scratch / "s3-work"
            output = at("archive", f"datasets/BENCH-{gib}/file.ome.zarr")
            with PeakDisk(work) as disk, PeakRss() as rss:
                seconds = _convert(given, output, work, VARIANTS["sharded"])
            objects = _convert.objects  # type: ignore[attr-defined]
            print(
                f"# {gib} GiB {label} to S3 (moto): {objects} objects in {seconds:.1f}s "
                f"({size / 1e6 / seconds:.0f} MB/s), scratch peak {disk.peak / 2**20:.1f} MiB, "
                f"converter peak RSS {rss.peak / 2**20:.0f} MiB",
                flush=True,
            )
            name = "local_input" if isinstance(given, Path) else "s3_input"
            print(f"BENCH convert.scratch_peak_mib.{name}.{gib}gib {disk.peak / 2**20:.1f}")
            print(f"BENCH convert.peak_rss_mib.s3.{name}.{gib}gib {rss.peak / 2**20:.0f}")
            shutil.rmtree(work, ignore_errors=True)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
