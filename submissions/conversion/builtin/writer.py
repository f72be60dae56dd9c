"""Write OME-Zarr in the bioformats2raw layout to a target (NGFF 0.5 / Zarr v3, or 0.4 / v2).

Layout, as bioformats2raw writes it::

    OUTPUT/                    root group, "bioformats2raw.layout": 3
    OUTPUT/OME/                group listing the series, METADATA.ome.xml beside it
    OUTPUT/0/, OUTPUT/1/, ...  one multiscale image per series, arrays 0..N (TCZYX)

The default is NGFF 0.5 with sharding (Zarr v3 ``sharding_indexed``): chunks of 1024x1024
are packed into shards of about ``shard_bytes`` (1 GiB) uncompressed, so a dataset is a few
objects per GiB instead of ~500. Each shard is streamed to the target as its chunks are
encoded (any order; the shard's index, written last, says where each chunk is), so neither
memory nor local disk ever holds a whole shard. ``shard_bytes=0`` writes one object per
chunk; NGFF 0.4 (Zarr v2) has no sharding.

Metadata is zarr-python's own: the groups and arrays are created in memory with zarr, and
their documents are copied to the target once the conversion has filled the arrays.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Literal

import google_crc32c
import numcodecs
import numpy as np
import zarr
from numcodecs.abc import Codec
from zarr.codecs import BloscCodec, ZstdCodec
from zarr.core.buffer import Buffer

from submissions.conversion.builtin.metadata import SeriesInfo, multiscales
from submissions.conversion.target import Sink, Target

COMPRESSIONS = ("blosc", "zstd", "none")
NGFF_VERSIONS = ("0.4", "0.5")
LAYOUT_VERSION = 3
DEFAULT_SHARD_BYTES = 2**30
# The index entry of a chunk a shard does not hold (sharding_indexed specification).
_MISSING = np.uint64(2**64 - 1)

ZarrFormat = Literal[2, 3]
Shape = tuple[int, ...]


def _compressors(compression: str, zarr_format: ZarrFormat, itemsize: int) -> Any:
    """The codec configuration recorded in the array metadata (what readers will use)."""
    if compression == "none":
        return None
    if zarr_format == 2:
        return _chunk_encoder(compression)
    if compression == "blosc":
        return [BloscCodec(cname="lz4", clevel=5, shuffle="shuffle", typesize=itemsize)]
    return [ZstdCodec(level=1, checksum=False)]


def _chunk_encoder(compression: str) -> Codec | None:
    """The numcodecs codec producing exactly the bytes the configuration above describes.

    "blosc" matches bioformats2raw's default (LZ4, level 5, byte shuffle). Measured here on
    noisy uint16 planes: blosc-lz4 ~600 MB/s, plain zstd-1 ~565 MB/s, so blosc is default.
    """
    if compression == "blosc":
        return numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)
    if compression == "zstd":
        return numcodecs.Zstd(level=1)
    return None


def shard_shape_for(
    *,
    shape: Shape,
    chunks: Shape,
    itemsize: int,
    shard_bytes: int,
    requested: Shape | None = None,
) -> Shape | None:
    """The shard shape of one array (TCZYX), or None for one object per chunk.

    ``requested`` (a TCZYX shape) is used as given, rounded up to whole chunks and clipped to
    the array. Otherwise shards grow from one chunk along x, then y, z, c and t (the order
    the converter fills them, so a shard completes soon after it starts) until they hold
    about ``shard_bytes`` of pixels.
    """
    grid = [math.ceil(size / chunk) for size, chunk in zip(shape, chunks, strict=True)]
    if requested is not None:
        counts = [
            max(1, min(math.ceil(want / chunk), cells))
            for want, chunk, cells in zip(requested, chunks, grid, strict=True)
        ]
    else:
        if shard_bytes <= 0:
            return None
        counts = [1] * len(shape)
        budget = max(shard_bytes // (math.prod(chunks) * itemsize), 1)
        for axis in reversed(range(len(shape))):  # x, y, z, c, t
            take = min(grid[axis], budget)
            counts[axis] = take
            budget //= take
            if budget <= 1:
                break
    return tuple(count * chunk for count, chunk in zip(counts, chunks, strict=True))


class LevelWriter:
    """Cuts full-width row bands of one plane into padded, encoded chunks."""

    def __init__(self, *, shape: Shape, chunks: Shape, dtype: np.dtype[Any], compression: str):
        self.shape = shape
        self.chunks = chunks
        self.dtype = np.dtype(dtype).newbyteorder("<")
        self._encoder = _chunk_encoder(compression)

    def write_rows(self, *, t: int, c: int, z: int, y0: int, rows: np.ndarray) -> None:
        """Store ``rows`` (full width) at row ``y0`` of plane (t, c, z); y0 on a chunk edge."""
        chunk_h, chunk_w = self.chunks[-2:]
        if y0 % chunk_h:
            raise ValueError("rows must start on a chunk boundary")
        for row_start in range(0, rows.shape[0], chunk_h):
            band = rows[row_start : row_start + chunk_h]
            chunk_y = (y0 + row_start) // chunk_h
            for chunk_x, x0 in enumerate(range(0, self.shape[-1], chunk_w)):
                tile = band[:, x0 : x0 + chunk_w]
                if tile.shape != (chunk_h, chunk_w):
                    # Edge chunks are padded with the fill value (0), as Zarr v2 and v3 require.
                    padded = np.zeros((chunk_h, chunk_w), dtype=self.dtype)
                    padded[: tile.shape[0], : tile.shape[1]] = tile
                    tile = padded
                data = np.ascontiguousarray(tile, dtype=self.dtype)
                # ndarray.data: the array's own buffer, stored without a copy.
                encoded = data.data if self._encoder is None else self._encoder.encode(data)
                self.store_chunk((t, c, z, chunk_y, chunk_x), memoryview(encoded).cast("B"))

    def store_chunk(self, coords: Shape, encoded: memoryview) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Called once every chunk is written."""


class ChunkWriter(LevelWriter):
    """One object per chunk (NGFF 0.4, or 0.5 unsharded).

    zarr-python's write path funnels every chunk through one asyncio event loop; profiling
    showed it serialising the workers. The arrays are created with zarr (their metadata is
    zarr's own), but chunks are encoded here with the same numcodecs codec and written in the
    calling thread.
    """

    def __init__(self, *, target: Target, key: str, zarr_format: ZarrFormat, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._target = target
        # v3 "default" chunk keys start with "c"; v2 keys (with "/" separator) do not.
        self._prefix = f"{key}/c/" if zarr_format == 3 else f"{key}/"

    def store_chunk(self, coords: Shape, encoded: memoryview) -> None:
        self._target.put(self._prefix + "/".join(map(str, coords)), encoded)


class _Shard:
    def __init__(self, *, sink: Sink, grid: Shape, expected: int) -> None:
        self.sink = sink
        self.index = np.full((*grid, 2), _MISSING, dtype="<u8")
        self.expected = expected
        self.written = 0
        self.lock = threading.Lock()


class ShardWriter(LevelWriter):
    """Chunks packed into shards (Zarr v3 ``sharding_indexed``, index at the end).

    A shard is opened when its first chunk arrives and streamed to the target chunk by
    chunk, in whatever order the worker threads finish them; the thread storing its last
    chunk appends the index (offset and length per chunk, uint64 little-endian, then its
    CRC32C, as the array metadata's ``index_codecs`` say) and closes it.
    """

    def __init__(self, *, target: Target, key: str, shards: Shape, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._target = target
        self._prefix = f"{key}/c/"
        self._grid = tuple(s // c for s, c in zip(shards, self.chunks, strict=True))
        self._chunk_counts = tuple(
            math.ceil(size / chunk) for size, chunk in zip(self.shape, self.chunks, strict=True)
        )
        self._open: dict[Shape, _Shard] = {}
        self._lock = threading.Lock()

    def _shard(self, coords: Shape) -> _Shard:
        with self._lock:
            shard = self._open.get(coords)
            if shard is None:
                expected = math.prod(
                    min(grid, count - index * grid)
                    for grid, count, index in zip(
                        self._grid, self._chunk_counts, coords, strict=True
                    )
                )
                sink = self._target.sink(self._prefix + "/".join(map(str, coords)))
                shard = _Shard(sink=sink, grid=self._grid, expected=expected)
                self._open[coords] = shard
            return shard

    def store_chunk(self, coords: Shape, encoded: memoryview) -> None:
        shard_coords = tuple(i // g for i, g in zip(coords, self._grid, strict=True))
        inner = tuple(i % g for i, g in zip(coords, self._grid, strict=True))
        shard = self._shard(shard_coords)
        offset = shard.sink.append(encoded)
        with shard.lock:
            shard.index[inner] = (offset, encoded.nbytes)
            shard.written += 1
            complete = shard.written == shard.expected
        if complete:
            self._close(shard_coords, shard)

    def _close(self, coords: Shape, shard: _Shard) -> None:
        index = shard.index.tobytes()
        checksum = np.uint32(google_crc32c.value(index)).astype("<u4").tobytes()
        shard.sink.append(index + checksum)
        shard.sink.close()
        with self._lock:
            self._open.pop(coords, None)

    def finish(self) -> None:
        with self._lock:
            left = list(self._open)
        if left:
            raise RuntimeError(f"{len(left)} shard(s) never received all their chunks")


class OmeZarrWriter:
    """Creates the groups and arrays; the converter fills them plane by plane, then calls
    :meth:`finish`, which writes the metadata documents."""

    def __init__(
        self,
        *,
        target: Target,
        ngff_version: str,
        compression: str,
        tile_width: int,
        tile_height: int,
        shard_bytes: int = DEFAULT_SHARD_BYTES,
        shard_shape: Shape | None = None,
    ) -> None:
        if ngff_version not in NGFF_VERSIONS:
            raise ValueError(f"ngff_version must be one of {NGFF_VERSIONS}")
        if compression not in COMPRESSIONS:
            raise ValueError(f"compression must be one of {COMPRESSIONS}")
        if shard_shape is not None and len(shard_shape) != 5:
            raise ValueError("shard_shape is T,C,Z,Y,X")
        self.target = target
        self.ngff_version = ngff_version
        self.zarr_format: ZarrFormat = 2 if ngff_version == "0.4" else 3
        self.compression = compression
        self.tile_width = tile_width
        self.tile_height = tile_height
        self.shard_bytes = shard_bytes if self.zarr_format == 3 else 0
        self.shard_shape = shard_shape if self.zarr_format == 3 else None
        self._documents: dict[str, Buffer] = {}
        store = zarr.storage.MemoryStore(store_dict=self._documents)
        self.root = zarr.open_group(store=store, mode="w", zarr_format=self.zarr_format)
        self.root.attrs.update(self._ome_attrs({"bioformats2raw.layout": LAYOUT_VERSION}))
        self._groups: dict[int, zarr.Group] = {}
        self._writers: list[LevelWriter] = []

    def _ome_attrs(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # NGFF 0.5 nests everything under "ome" with the version; 0.4 keeps it top level.
        if self.ngff_version == "0.5":
            return {"ome": {"version": "0.5", **attrs}}
        return attrs

    def create_series(
        self, *, info: SeriesInfo, shapes: list[tuple[int, int]]
    ) -> list[LevelWriter]:
        """Create image group ``info.index`` with one array per level; returns their writers."""
        group = self.root.create_group(str(info.index))
        self._groups[info.index] = group
        entry = multiscales(info=info, levels=len(shapes), ngff_version=self.ngff_version)
        group.attrs.update(self._ome_attrs({"multiscales": [entry]}))
        t, c, z, _, _ = info.shape
        writers: list[LevelWriter] = []
        for level, (height, width) in enumerate(shapes):
            shape = (t, c, z, height, width)
            chunks = (1, 1, 1, min(self.tile_height, height), min(self.tile_width, width))
            kwargs: dict[str, Any] = {
                "name": str(level),
                "shape": shape,
                "chunks": chunks,
                "dtype": info.dtype,
                "fill_value": np.zeros((), dtype=info.dtype).item(),
                "compressors": _compressors(
                    self.compression, self.zarr_format, info.dtype.itemsize
                ),
            }
            shards = None
            if self.zarr_format == 2:
                # NGFF 0.4 requires "/" between chunk indices (bioformats2raw does the same).
                kwargs["chunk_key_encoding"] = {"name": "v2", "separator": "/"}
            else:
                kwargs["dimension_names"] = ["t", "c", "z", "y", "x"]
                shards = shard_shape_for(
                    shape=shape,
                    chunks=chunks,
                    itemsize=info.dtype.itemsize,
                    shard_bytes=self.shard_bytes,
                    requested=self.shard_shape,
                )
                if shards is not None:
                    kwargs["shards"] = shards
            group.create_array(**kwargs)
            key = f"{info.index}/{level}"
            common: dict[str, Any] = {
                "target": self.target,
                "key": key,
                "shape": shape,
                "chunks": chunks,
                "dtype": info.dtype,
                "compression": self.compression,
            }
            if shards is not None:
                writer: LevelWriter = ShardWriter(shards=shards, **common)
            else:
                writer = ChunkWriter(zarr_format=self.zarr_format, **common)
            writers.append(writer)
        self._writers.extend(writers)
        return writers

    def set_omero(self, *, series: int, omero: dict[str, Any]) -> None:
        group = self._groups[series]
        attrs: dict[str, Any] = dict(group.attrs)
        if self.ngff_version == "0.5":
            attrs["ome"] = {**attrs["ome"], "omero": omero}
        else:
            attrs["omero"] = omero
        group.attrs.put(attrs)

    def write_ome_group(self, *, series_count: int, ome_xml: str) -> None:
        ome = self.root.create_group("OME")
        ome.attrs.update(self._ome_attrs({"series": [str(i) for i in range(series_count)]}))
        self.target.put("OME/METADATA.ome.xml", ome_xml.encode("utf-8"))

    def finish(self) -> None:
        """Check every shard closed, then write the groups' and arrays' metadata documents."""
        for writer in self._writers:
            writer.finish()
        for key, buffer in sorted(self._documents.items()):
            self.target.put(key, buffer.to_bytes())
