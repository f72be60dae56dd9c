"""Benchmark: the built-in converter against fairly configured peers, medians of 3.

Not a pytest module (the name does not match test_*.py). Run it directly, or `make bench-convert`:

    python tests/benchmarks/bench_convert.py [--sizes 1,4] [--peer-sizes 1] [--repeats 3]

For each size (GiB) it writes a uint16 OME-TIFF of 2 channels x Z planes of 2048x2048
(smooth structure plus shot noise, generated plane by plane) and converts it, `--repeats`
times in rounds (each round runs every converter once, so load on the shared machine hits
all of them alike):

- Aperture with the converter's configured default (``convert_file`` without an NGFF
  version: whatever the default layout is, sharded or not), through runner.convert_file (a
  child process, validated, as in production);
- at the peer sizes, ome-zarr-py, ngff-zarr and bioio-conversion, configured as in
  convert_peers.py: lazy input, the same NGFF version, chunks, shards, codec and level (read
  off Aperture's output), 2 x 2 mean in y and x, and the same thread count;
- once per size, Aperture with NGFF 0.4 (Zarr v2, unsharded) for the unsharded object count.

Reported per converter: the median seconds of the rounds. Peak RSS (polled every 50 ms) is
the converter's whole process tree. At the largest size the default is also converted straight
to a bucket on a local moto server, with the peak bytes under the job's scratch directory
polled every 50 ms (`convert.scratch_peak_mib`). Every converter reads the same file from the page
cache. Scratch files are removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psutil
import tifffile

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from submissions.conversion.runner import convert_file  # noqa: E402
from tests.benchmarks.convert_peers import PEERS  # noqa: E402

PLANE = 2048
CHANNELS = 2
PEER_TIMEOUT_S = 900.0
MIB = 2**20
# bioio-conversion's pins conflict with the application's (see convert_peers.py); the make
# target installs it into this virtualenv, and the other peers run in the main one.
PEER_PYTHON = {"bioio-conversion": ROOT / ".venv-bench-peers" / "bin" / "python"}


def _planes(count: int, seed: int) -> Iterator[np.ndarray]:
    """Smooth blobs that drift through z, plus Poisson-like shot noise, one plane at a time."""
    rng = np.random.default_rng(seed)
    axis = np.linspace(0, 6 * np.pi, PLANE, dtype=np.float32)
    rows, cols = axis[:, None], axis[None, :]
    for index in range(count):
        phase = np.float32(index * 0.05)
        signal = 300 + 900 * (np.sin(rows + phase) * np.cos(cols * 1.3 - phase)) ** 2
        noise = rng.standard_normal((PLANE, PLANE), dtype=np.float32) * np.sqrt(signal)
        yield np.clip(signal + noise, 0, 65535).astype(np.uint16)


def make_input(path: Path, gib: float) -> int:
    """Write the input; returns its pixel bytes. (bench_objects.py uses it too.)"""
    planes = max(CHANNELS, int(gib * 1024 * MIB) // (PLANE * PLANE * 2))
    z = planes // CHANNELS
    tifffile.imwrite(
        path,
        _planes(z * CHANNELS, seed=int(gib * 1024)),
        shape=(z, CHANNELS, PLANE, PLANE),
        dtype=np.uint16,
        ome=True,
        photometric="minisblack",
        # Classic TIFF offsets are 32-bit; a generator gives tifffile no size to decide by.
        bigtiff=z * CHANNELS * PLANE * PLANE * 2 >= 2**32 - 2**26,
        metadata={"axes": "ZCYX", "PhysicalSizeX": 0.1, "PhysicalSizeY": 0.1, "PhysicalSizeZ": 0.3},
    )
    return z * CHANNELS * PLANE * PLANE * 2


def tree_usage(paths: list[Path]) -> tuple[int, int]:
    """(bytes, files) under the paths; files vanishing mid-walk are skipped."""
    total = count = 0
    for root in paths:
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                try:
                    total += os.stat(os.path.join(dirpath, name)).st_size
                except OSError:
                    continue
                count += 1
    return total, count


class Watch:
    """Polls the peak RSS of a process tree and the peak bytes under some directories."""

    def __init__(self, root_pid: int | None = None, directories: list[Path] | None = None) -> None:
        self._root = psutil.Process(root_pid) if root_pid else psutil.Process()
        self._include_root = root_pid is not None
        self._directories = directories or []
        self.peak_rss = 0
        self.peak_disk = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _rss(self) -> int:
        total = 0
        try:
            processes = self._root.children(recursive=True)
            if self._include_root:
                processes.append(self._root)
        except psutil.Error:
            return 0
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak_rss = max(self.peak_rss, self._rss())
            if self._directories:
                self.peak_disk = max(self.peak_disk, tree_usage(self._directories)[0])
            time.sleep(0.05)


class PeakRss(Watch):
    """The peak RSS of this process's children only (bench_objects.py uses it)."""

    @property
    def peak(self) -> int:
        return self.peak_rss


def run_builtin_to_s3(source: Path, scratch: Path, workers: int) -> dict[str, float]:
    """The default conversion straight to a bucket on a local moto server (its own thread
    here): peak bytes under the job's scratch directory, and the converter's peak RSS."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    from submissions.conversion.target import S3Location

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    work = scratch / "s3-scratch"
    work.mkdir()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket="archive"
        )
        location = S3Location(
            bucket="archive",
            prefix="datasets/BENCH/file.ome.zarr",
            endpoint_url=endpoint,
            region="us-east-1",
            addressing_style="path",
        )
        with Watch(directories=[work]) as watch:
            started = time.monotonic()
            result = convert_file(
                input_path=source,
                output_path=location,
                scratch_dir=work,
                timeout_s=3600,
                max_workers=workers,
            )
            seconds = time.monotonic() - started
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return {
        "seconds": seconds,
        "rss": watch.peak_rss,
        "scratch": watch.peak_disk,
        "objects": result.object_count,
    }


def output_layout(output: Path) -> dict[str, object]:
    """What Aperture wrote for series 0: format, chunks, shards, codec, levels."""
    image = output / "0"
    levels = sum(1 for child in image.iterdir() if child.name.isdigit())
    v3 = image / "0" / "zarr.json"
    if v3.exists():
        meta = json.loads(v3.read_text())
        grid = meta["chunk_grid"]["configuration"]["chunk_shape"]
        codecs = meta["codecs"]
        shards = None
        if codecs[0]["name"] == "sharding_indexed":
            inner = codecs[0]["configuration"]
            shards, grid, codecs = grid, inner["chunk_shape"], inner["codecs"]
        blosc = next(c["configuration"] for c in codecs if c["name"] == "blosc")
        zarr_format, ngff = 3, "0.5"
    else:
        meta = json.loads((image / "0" / ".zarray").read_text())
        grid, shards = meta["chunks"], None
        compressor = meta["compressor"]
        blosc = {
            "cname": compressor["cname"],
            "clevel": compressor["clevel"],
            "shuffle": {0: "noshuffle", 1: "shuffle", 2: "bitshuffle"}[compressor["shuffle"]],
        }
        zarr_format, ngff = 2, "0.4"
    if grid[-1] != grid[-2]:
        raise SystemExit(f"peers need square chunks, Aperture wrote {grid}")
    return {
        "zarr_format": zarr_format,
        "ngff": ngff,
        "tile": grid[-1],
        # TCZYX, level 0's; the peers use it at every level.
        "shards": list(shards) if shards else None,
        "blosc": {k: blosc[k] for k in ("cname", "clevel", "shuffle")},
        "levels": levels,
    }


def run_builtin(
    source: Path, scratch: Path, workers: int, ngff_version: str | None
) -> dict[str, float]:
    output = scratch / "builtin.ome.zarr"
    work = scratch / "builtin-scratch"
    work.mkdir()
    kwargs = {} if ngff_version is None else {"ngff_version": ngff_version}
    # No disk figure here: the folder output is the target itself (written under a temporary
    # sibling name, then renamed). The scratch figure comes from run_builtin_to_s3.
    with Watch() as watch:
        started = time.monotonic()
        result = convert_file(
            input_path=source,
            output_path=output,
            scratch_dir=work,
            converter="builtin",
            timeout_s=3600,
            max_workers=workers,
            **kwargs,  # type: ignore[arg-type]
        )
        seconds = time.monotonic() - started
    layout = output_layout(output)
    shutil.rmtree(output)
    shutil.rmtree(work)
    return {
        "seconds": seconds,
        "rss": watch.peak_rss,
        "objects": result.object_count,
        "bytes": result.output_bytes,
        "layout": layout,  # type: ignore[dict-item]
    }


def run_peer(name: str, source: Path, output: Path, job: dict[str, object]) -> dict[str, object]:
    python = PEER_PYTHON.get(name)
    if python is not None and not python.exists():
        return {"status": f"not installed ({python.parent.parent.name}; `make bench-convert`)"}
    started = time.monotonic()
    process = subprocess.Popen(
        [
            str(python or sys.executable),
            "-c",
            PEERS[name],
            str(source),
            str(output),
            json.dumps(job),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    with Watch(process.pid) as watch:
        try:
            _, stderr = process.communicate(timeout=PEER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            shutil.rmtree(output, ignore_errors=True)
            return {"status": f"timed out after {PEER_TIMEOUT_S:.0f}s"}
    seconds = time.monotonic() - started
    _, objects = tree_usage([output])
    shutil.rmtree(output, ignore_errors=True)
    if process.returncode != 0:
        tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
        return {"status": f"failed (exit {process.returncode}): {' | '.join(tail)}"}
    return {"status": "ok", "seconds": seconds, "rss": watch.peak_rss, "objects": objects}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", default="1,4", help="input sizes in GiB, comma-separated")
    parser.add_argument("--peer-sizes", default="1", help="sizes at which the peers also run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--workers", type=int, default=psutil.cpu_count() or 2)
    parser.add_argument(
        "--mib", action="store_true", help="sizes are MiB, not GiB (to try the harness quickly)"
    )
    parser.add_argument("--no-s3", action="store_true", help="skip the conversion to moto S3")
    args = parser.parse_args()
    unit = MIB if args.mib else 1024 * MIB
    label = "MiB" if args.mib else "GiB"
    sizes = [int(s) for s in args.sizes.split(",") if s]
    peer_sizes = {int(s) for s in args.peer_sizes.split(",") if s}
    peers = [p for p in args.peers.split(",") if p]
    scratch = Path(tempfile.mkdtemp(prefix="aperture-bench-", dir=os.environ.get("BENCH_DIR")))
    print(f"# {args.workers} workers for every converter; machine shared with other work")
    results: dict[int, dict[str, list[dict[str, object]]]] = {}
    sizes_bytes: dict[int, int] = {}
    layouts: dict[int, dict[str, object]] = {}
    unsharded: dict[int, dict[str, float]] = {}
    to_s3: dict[int, dict[str, float]] = {}
    try:
        for size in sizes:
            source = scratch / f"input-{size}.ome.tif"
            started = time.monotonic()
            sizes_bytes[size] = make_input(source, size * unit / (1024 * MIB))
            print(
                f"# {size} {label} input: {sizes_bytes[size] / MIB:.0f} MiB written in "
                f"{time.monotonic() - started:.0f}s",
                flush=True,
            )
            runs: dict[str, list[dict[str, object]]] = {"aperture": []}
            results[size] = runs
            for round_ in range(args.repeats):
                run = run_builtin(source, scratch, args.workers, None)
                runs["aperture"].append(run)
                layouts[size] = run["layout"]  # type: ignore[assignment]
                print(
                    f"# round {round_ + 1} aperture         {run['seconds']:6.1f}s "
                    f"{sizes_bytes[size] / 1e6 / run['seconds']:7.1f} MB/s "
                    f"RSS {run['rss'] / MIB:.0f} MiB "
                    f"{run['objects']} objects",
                    flush=True,
                )
                if size not in peer_sizes:
                    continue
                job = {**layouts[size], "workers": args.workers}
                for name in peers:
                    outcome = run_peer(name, source, scratch / f"{name}.ome.zarr", job)
                    if outcome["status"] != "ok":
                        print(f"# round {round_ + 1} {name:16} {outcome['status']}", flush=True)
                        continue
                    runs.setdefault(name, []).append(outcome)
                    seconds = float(outcome["seconds"])  # type: ignore[arg-type]
                    print(
                        f"# round {round_ + 1} {name:16} {seconds:6.1f}s "
                        f"{sizes_bytes[size] / 1e6 / seconds:7.1f} MB/s RSS "
                        f"{int(outcome['rss']) / MIB:.0f} MiB "  # type: ignore[call-overload]
                        f"{outcome['objects']} objects",
                        flush=True,
                    )
            if size == max(sizes) and not args.no_s3:
                to_s3[size] = run_builtin_to_s3(source, scratch, args.workers)
                print(
                    f"# to S3 (moto) {to_s3[size]['seconds']:.1f}s scratch peak "
                    f"{to_s3[size]['scratch'] / MIB:.1f} MiB "
                    f"RSS {to_s3[size]['rss'] / MIB:.0f} MiB "
                    f"{to_s3[size]['objects']} objects",
                    flush=True,
                )
            if size == min(sizes):
                unsharded[size] = run_builtin(source, scratch, args.workers, "0.4")
                print(
                    f"# NGFF 0.4 (unsharded) {unsharded[size]['seconds']:.1f}s "
                    f"{unsharded[size]['objects']} objects",
                    flush=True,
                )
            source.unlink()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def median(runs: list[dict[str, object]], key: str) -> float:
        return statistics.median(float(r[key]) for r in runs)  # type: ignore[arg-type]

    for size in sizes:
        layout = layouts[size]
        print(f"# {size} {label} Aperture default layout: {json.dumps(layout)}")
    largest = max(sizes)
    gib = sizes_bytes[largest] / 2**30
    aperture = results[largest]["aperture"]
    print(f"BENCH convert.mb_s {sizes_bytes[largest] / 1e6 / median(aperture, 'seconds'):.1f}")
    for size in sizes:
        print(f"BENCH convert.peak_rss_mib.{size}{label.lower()} "
              f"{max(float(r['rss']) for r in results[size]['aperture']) / MIB:.0f}")  # type: ignore[arg-type]  # fmt: skip
    peak = max(float(r["rss"]) for runs in results.values() for r in runs["aperture"])  # type: ignore[arg-type]
    print(f"BENCH convert.peak_rss_mib {peak / MIB:.0f}")
    print(f"BENCH convert.objects_per_gib {median(aperture, 'objects') / gib:.1f}")
    smallest = min(sizes)
    print(
        "BENCH convert.objects_per_gib_unsharded "
        f"{unsharded[smallest]['objects'] / (sizes_bytes[smallest] / 2**30):.1f}"
    )
    if largest in to_s3:
        print(f"BENCH convert.scratch_peak_mib {to_s3[largest]['scratch'] / MIB:.1f}")
        print(f"BENCH convert.s3.peak_rss_mib {to_s3[largest]['rss'] / MIB:.0f}")
        print(f"BENCH convert.s3.mb_s {sizes_bytes[largest] / 1e6 / to_s3[largest]['seconds']:.1f}")
    common = [s for s in sizes if s in peer_sizes]
    if common:
        # Compare at the largest size the peers ran, where start-up costs matter least.
        size = max(common)
        ours = median(results[size]["aperture"], "seconds")
        peer_medians = {
            name: median(runs, "seconds")
            for name, runs in results[size].items()
            if name != "aperture" and len(runs) == args.repeats
        }
        for name, seconds in sorted(peer_medians.items()):
            key = name.replace("-", "_")
            print(f"BENCH convert.peer.{key}.mb_s {sizes_bytes[size] / 1e6 / seconds:.1f}")
            print(f"BENCH convert.ratio_vs_{key} {seconds / ours:.2f}")
        if peer_medians:
            best = min(peer_medians, key=lambda n: peer_medians[n])
            print(f"BENCH convert.best_fair_peer {best}")
            print(f"BENCH convert.ratio_vs_best_fair_peer {peer_medians[best] / ours:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
