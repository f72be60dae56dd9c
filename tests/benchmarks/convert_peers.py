"""The peers of `bench_convert.py`, each configured as its own documentation says for speed.

Every peer gets the same job as the built-in converter, described by one JSON argument that
bench_convert.py reads off the built-in converter's own output (so a change of Aperture's
default, such as sharding, changes the peers' configuration with it):

- input: the same OME-TIFF (Z, C, Y, X), opened lazily (tifffile ``aszarr`` under a dask
  array, or the peer's own lazy reader), never ``tifffile.imread`` of the whole file;
- output: the same NGFF version (0.5 on Zarr v3, or 0.4 on Zarr v2), the same chunk shape
  (one plane, ``tile`` x ``tile``), the same shard shape when Aperture shards, the same
  codec and level (Blosc LZ4, level 5, byte shuffle, as bioformats2raw);
- the same pyramid: levels halved in y and x only (z kept), by a 2 x 2 mean where the peer
  offers one;
- the same thread count (dask's threaded scheduler with ``num_workers``).

Each script is run as ``python -c SCRIPT SOURCE TARGET CONFIG_JSON`` in a child process.
"""

from __future__ import annotations

# Shared by the dask-based peers: lazy input and the job's settings.
_COMMON = """
import json, sys
import dask, dask.array as da, tifffile, zarr
source, target, job = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
tile, workers, levels = job["tile"], job["workers"], job["levels"]
# tifffile documents `aszarr=True` for reading large files chunk by chunk
# (https://github.com/cgohlke/tifffile, "Read ... as a Zarr array"); dask.array.from_zarr
# then reads one page per task.
pages = da.from_zarr(zarr.open_array(tifffile.imread(source, aszarr=True), mode="r"))
# (Z, C, Y, X) -> (C, Z, Y, X), dask chunks equal to the output chunks.
data = pages.transpose(1, 0, 2, 3).rechunk((1, 1, tile, tile))
factors = [2**level for level in range(1, levels)]
blosc = job["blosc"]
"""

# ome-zarr-py 0.18, ome_zarr.writer.write_image. Its docstring: `method` "local_mean: Local
# mean downsampling using skimage.transform.downscale_local_mean" (default is `resize`, with
# anti-aliasing); "Passing a list of integers (i.e., [2, 4, 8]) will apply the downsampling
# in all spatial dimensions *except the z dimension*"; `storage_options` go to
# zarr.create_array for dask >= 2026.3 (chunks, shards, compressors); `fmt` "Defaults to the
# most current" (FormatV05). https://ome-zarr.readthedocs.io/en/stable/python.html
OME_ZARR_PY = (
    _COMMON
    + """
from ome_zarr.format import FormatV04, FormatV05
from ome_zarr.scale import Methods
from ome_zarr.writer import write_image
options = {"chunks": (1, 1, tile, tile)}
if job["zarr_format"] == 3:
    from zarr.codecs import BloscCodec
    options["compressors"] = [BloscCodec(cname=blosc["cname"], clevel=blosc["clevel"],
                                         shuffle=blosc["shuffle"], typesize=2)]
    if job["shards"]:
        options["shards"] = tuple(job["shards"][1:])  # CZYX
else:
    import numcodecs
    options["compressor"] = numcodecs.Blosc(cname=blosc["cname"], clevel=blosc["clevel"],
                                            shuffle=numcodecs.Blosc.SHUFFLE)
fmt = FormatV05() if job["ngff"] == "0.5" else FormatV04()
group = zarr.open_group(target, mode="w", zarr_format=job["zarr_format"])
with dask.config.set(scheduler="threads", num_workers=workers):
    write_image(data, group, scale_factors=factors, method=Methods.LOCAL_MEAN, fmt=fmt,
                axes="czyx", storage_options=options)
"""
)

# ngff-zarr 0.50. Its method table (ngff_zarr/methods/_metadata.py, and "Methods" in
# https://ngff-zarr.readthedocs.io): DASK_BIN_SHRINK "Uses the local mean for the output
# value, computed with dask.array.coarsen. Same samples as the ITK bin-shrink methods,
# without a native or WebAssembly dependency"; ITKWASM_BIN_SHRINK is the same mean in
# WebAssembly. The default, ITKWASM_GAUSSIAN, filters and also shrinks z. Scale factors as
# dicts leave z alone. `to_ngff_zarr(version=..., chunks_per_shard=..., compressors=[...])`
# per its docstring; chunking follows `to_multiscales(chunks=...)`.
NGFF_ZARR = (
    _COMMON
    + """
import ngff_zarr
from ngff_zarr import Methods
method = getattr(Methods, job.get("method", "DASK_BIN_SHRINK"))
image = ngff_zarr.to_ngff_image(data, dims=["c", "z", "y", "x"])
multiscales = ngff_zarr.to_multiscales(
    image, scale_factors=[{"z": 1, "y": f, "x": f} for f in factors], method=method,
    chunks={"c": 1, "z": 1, "y": tile, "x": tile})
kwargs = {}
if job["zarr_format"] == 3:
    from zarr.codecs import BloscCodec
    kwargs["compressors"] = [BloscCodec(cname=blosc["cname"], clevel=blosc["clevel"],
                                        shuffle=blosc["shuffle"], typesize=2)]
    if job["shards"]:
        _, c, z, y, x = job["shards"]
        kwargs["chunks_per_shard"] = {"c": c, "z": z, "y": y // tile, "x": x // tile}
else:
    import numcodecs
    kwargs["compressor"] = numcodecs.Blosc(cname=blosc["cname"], clevel=blosc["clevel"],
                                           shuffle=numcodecs.Blosc.SHUFFLE)
with dask.config.set(scheduler="threads", num_workers=workers):
    ngff_zarr.to_ngff_zarr(target, multiscales, version=job["ngff"], **kwargs)
"""
)

# bioio-conversion 3.0 (https://bioio-devs.github.io/bioio-conversion, OmeZarrConverter):
# `num_levels` "pyramid levels ... via a simple XY half-pyramid", `downsample_z=False`,
# explicit `chunk_shape` (which "disables the auto-shard calculation"), `shard_shape`,
# `compressor` (zarr.codecs.BloscCodec for v3, numcodecs.Blosc for v2), `zarr_format`,
# `n_workers` worker processes. Its reader is bioio-ome-tiff (lazy, tifffile-backed). It
# offers no mean: bioio-ome-zarr's writer downsamples with nearest neighbour
# (`resize(..., order=0)`), which is less work than a mean, so this peer is favoured.
# Runs in its own virtualenv (.venv-bench-peers): its pins (s3fs -> aiobotocore -> botocore)
# conflict with the application's boto3.
BIOIO_CONVERSION = """
import json, sys
from pathlib import Path
source, target, job = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
tile, blosc = job["tile"], job["blosc"]
from bioio_conversion.converters import OmeZarrConverter
if job["zarr_format"] == 3:
    from zarr.codecs import BloscCodec
    codec = BloscCodec(cname=blosc["cname"], clevel=blosc["clevel"], shuffle=blosc["shuffle"],
                       typesize=2)
else:
    import numcodecs
    codec = numcodecs.Blosc(cname=blosc["cname"], clevel=blosc["clevel"],
                            shuffle=numcodecs.Blosc.SHUFFLE)
out = Path(target)
converter = OmeZarrConverter(
    source=source, destination=str(out.parent), name=out.name.removesuffix(".ome.zarr"),
    num_levels=job["levels"], downsample_z=False, chunk_shape=(1, 1, 1, tile, tile),
    shard_shape=tuple(job["shards"]) if job["shards"] else None, compressor=codec,
    zarr_format=job["zarr_format"], n_workers=job["workers"])
converter.convert()
"""

PEERS = {"ome-zarr-py": OME_ZARR_PY, "ngff-zarr": NGFF_ZARR, "bioio-conversion": BIOIO_CONVERSION}
