"""Benchmark: pushing a converted OME-Zarr dataset to S3 (moto) vs boto3's TransferManager.

Not a pytest module. Run it directly (or through `make bench-publish`):

    python tests/benchmarks/bench_publish.py [--mib 256] [--repeats 3]

It writes a uint16 OME-TIFF (2 channels x Z planes of 2048x2048, noise on smooth structure),
converts it with the built-in converter (its default layout), then uploads the same OME-Zarr
tree to a local moto S3 server (its own process, on loopback) in rounds, each round both ways:
- Aperture: submissions.core.storage.upload_tree (parallel PUTs with CRC32 checksums,
  multipart above 64 MiB in 8 MiB parts, then a listing that verifies count and sizes);
- the peer: one boto3 TransferManager (s3transfer) given every object of the tree at once,
  with the same client configuration (so the same connection pool, `max_pool_connections`),
  `max_concurrency` equal to Aperture's worker count and the same CRC32 checksum, in two
  configurations, the faster of which counts: boto3's defaults (8 MiB threshold and parts,
  the configuration its guide, "File transfer configuration",
  https://docs.aws.amazon.com/boto3/latest/guide/s3.html, starts from) and Aperture's own
  threshold and part size. A pool smaller than the concurrency would make threads wait for
  connections, so all share the one from settings.
The order rotates between rounds; the median of `--repeats` rounds counts.
Prints `BENCH push.ratio_vs_transfer_manager` (peer seconds / Aperture seconds; target >= 1).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import tifffile

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.testing")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import django  # noqa: E402

django.setup()

import boto3  # noqa: E402
from boto3.s3.transfer import TransferConfig, create_transfer_manager  # noqa: E402
from storages.backends.s3 import S3Storage  # noqa: E402

from submissions.conversion.runner import convert_file  # noqa: E402
from submissions.core import storage  # noqa: E402

PLANE = 2048


def write_input(path: Path, mib: int) -> None:
    planes = max(1, mib * 2**20 // (PLANE * PLANE * 2 * 2))
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:PLANE, 0:PLANE].astype(np.float32)

    def planes_iter():
        for z in range(planes):
            for c in range(2):
                base = 800 + 600 * np.sin((xx + 40 * z) / (90 + 30 * c)) * np.cos(yy / 130)
                yield rng.poisson(np.clip(base, 1, None)).astype(np.uint16)

    tifffile.imwrite(
        path,
        planes_iter(),
        shape=(planes, 2, PLANE, PLANE),
        dtype=np.uint16,
        ome=True,
        metadata={"axes": "ZCYX"},
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    moto = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    process = subprocess.Popen(
        [moto, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process, endpoint
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto_server did not start")


def tree_files(root: Path) -> list[tuple[str, Path]]:
    return sorted(
        (path.relative_to(root).as_posix(), path) for path in root.rglob("*") if path.is_file()
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=16)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    moto, endpoint = start_moto()
    try:
        source, output = work / "input.ome.tif", work / "output.ome.zarr"
        write_input(source, options.mib)
        (work / "scratch").mkdir()
        convert_file(
            input_path=source, output_path=output, scratch_dir=work / "scratch", max_workers=2
        )
        files = tree_files(output)
        total = sum(path.stat().st_size for _, path in files)
        print(f"# dataset: {len(files)} objects, {total / 2**20:.1f} MiB (machine shared)")
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket="archive")
        from portal.settings._storage import _s3_options

        target = S3Storage(**{**_s3_options("archive"), "endpoint_url": endpoint})

        def ours(round_: int) -> float:
            started = time.perf_counter()
            storage.upload_tree(
                local_root=output,
                storage=target,
                prefix=f"datasets/OURS-{round_}/x.ome.zarr",
                max_workers=options.workers,
            )
            return time.perf_counter() - started

        # The same client configuration as Aperture's archive storage: pool, signature, style.
        peer_client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            config=target.client_config,
        )
        peer_configs = {
            "boto3 defaults": TransferConfig(max_concurrency=options.workers),
            "Aperture's sizes": TransferConfig(
                multipart_threshold=storage.MULTIPART_THRESHOLD,
                multipart_chunksize=storage.PUSH_CHUNKSIZE,
                max_concurrency=options.workers,
            ),
        }

        def transfer_manager(config: TransferConfig) -> Callable[[int], float]:
            def run(round_: int) -> float:
                started = time.perf_counter()
                manager = create_transfer_manager(peer_client, config)
                try:
                    futures = [
                        manager.upload(
                            str(path),
                            "archive",
                            f"peer-{id(config)}-{round_}/{relative}",
                            extra_args={"ChecksumAlgorithm": storage.CHECKSUM_ALGORITHM},
                        )
                        for relative, path in files
                    ]
                    for future in futures:
                        future.result()
                finally:
                    manager.shutdown()
                return time.perf_counter() - started

            return run

        # Both clients exist before any timing (the peer's is made above): django-storages
        # builds its boto3 session lazily, which a long-lived worker pays once, not per push.
        storage.s3_client(target)
        pool = target.client_config.max_pool_connections
        print(f"# {options.workers} workers each, connection pool {pool} each")
        runs: dict[str, Callable[[int], float]] = {"Aperture": ours}
        runs.update({name: transfer_manager(config) for name, config in peer_configs.items()})
        times: dict[str, list[float]] = {name: [] for name in runs}
        for round_ in range(options.repeats):
            order = list(runs)
            order = order[round_ % len(order) :] + order[: round_ % len(order)]
            for name in order:
                times[name].append(runs[name](round_))
            print(
                f"# round {round_ + 1}: "
                + ", ".join(f"{name} {times[name][-1]:.2f}s" for name in runs),
                flush=True,
            )
        mb = total / 1e6
        medians = {name: statistics.median(values) for name, values in times.items()}
        ours_s = medians.pop("Aperture")
        best = min(medians, key=lambda name: medians[name])
        peer_s = medians[best]
        print(f"# best TransferManager configuration: {best}")
        print(f"BENCH push.objects {len(files)}")
        print(f"BENCH push.aperture.mb_s {mb / ours_s:.1f}")
        for name, seconds in medians.items():
            key = "defaults" if name == "boto3 defaults" else "aperture_sizes"
            print(f"BENCH push.transfer_manager.{key}.mb_s {mb / seconds:.1f}")
        print(f"BENCH push.transfer_manager.mb_s {mb / peer_s:.1f}")
        print(f"BENCH push.ratio_vs_transfer_manager {peer_s / ours_s:.2f}")
    finally:
        moto.terminate()
        moto.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
