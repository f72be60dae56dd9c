"""Read vendor microscopy files (Zeiss CZI, Nikon ND2, Leica LIF) through bioio, as TCZYX series.

The same interface as the TIFF reader (series, ome_xml, format_name, reader(i)), so the
converter, inspection and previews do not care which one they hold. Pixels are read lazily:
bioio builds a dask array per scene, chunked by plane where the plugin allows it, and a read
computes only the chunks covering the requested rows of one plane.

bioio's plugins open files by path, never from an open handle, so these formats need a local
file (see submissions.processing.services for inspection of files kept on S3).
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import IO, Any

import numpy as np

from submissions.conversion.builtin.metadata import PhysicalSizes, SeriesInfo, parse_ome_images
from submissions.conversion.errors import UserFileError
from submissions.conversion.formats import DetectedFormat, detect_format, display_name

_SUPPORTED_KINDS = "biuf"  # signed, unsigned, float (and bool): what OME pixel types cover


def _reader_for(plugin: str) -> tuple[type[Any], dict[str, Any]]:
    """The bioio reader class for ``plugin`` and its options.

    CZI and LIF chunk by plane ("YX"): their default also chunks whole z-stacks, so reading
    one plane would decode the stack. ND2 chunks by frame already.
    """
    if plugin == "czi":
        from bioio_czi import Reader as CziReader

        return CziReader, {"chunk_dims": ["Y", "X"]}
    if plugin == "nd2":
        from bioio_nd2 import Reader as Nd2Reader

        return Nd2Reader, {}
    if plugin == "lif":
        from bioio_lif import Reader as LifReader

        return LifReader, {"chunk_dims": ["Y", "X"]}
    raise ValueError(f"no bioio reader for {plugin!r}")


class BioioSeriesReader:
    """Reads one scene's dask array as TCZYX planes; RGB samples are split into channels.

    The plugins chunk by whole plane, so a band of rows costs decoding its whole plane. The
    converter reads a large plane band after band in one thread: each thread keeps the last
    plane it decoded, so a plane is decoded once, and memory is one plane per worker (very
    large mosaics, tens of gigapixels a plane, are bioformats2raw's job).
    """

    def __init__(self, *, data: Any, info: SeriesInfo, samples: int) -> None:
        self._data = data  # dask array, TCZYX or TCZYXS
        self._samples = samples
        self._whole_planes = len(data.chunks[3]) == 1
        self._last = threading.local()
        self.info = info

    def read_plane_rows(self, *, t: int, c: int, z: int, y0: int, y1: int) -> np.ndarray:
        """Rows ``y0:y1`` of plane (t, c, z) as a 2-D array in the file's dtype."""
        if self._whole_planes and (y0, y1) != (0, self.info.shape[3]):
            cached = getattr(self._last, "plane", None)
            if cached is None or cached[0] != (t, c, z):
                cached = ((t, c, z), self._compute(t=t, c=c, z=z, rows=slice(None)))
                self._last.plane = cached
            return cached[1][y0:y1]
        self._last.plane = None
        return self._compute(t=t, c=c, z=z, rows=slice(y0, y1))

    def _compute(self, *, t: int, c: int, z: int, rows: slice) -> np.ndarray:
        if self._samples > 1:
            channel, sample = divmod(c, self._samples)
            selection = self._data[t, channel, z, rows, :, sample]
        else:
            selection = self._data[t, c, z, rows, :]
        # Synchronous: the converter already runs one thread per plane.
        return np.asarray(selection.compute(scheduler="synchronous"))

    @property
    def plane_bytes(self) -> int:
        _, _, _, y, x = self.info.shape
        return y * x * self.info.dtype.itemsize


class BioioSource:
    """An open CZI, ND2 or LIF file: one series per scene, and a reader for each."""

    def __init__(
        self, *, path: Path | None = None, file: IO[bytes] | None = None, name: str | None = None
    ) -> None:
        """Open ``path``. An open ``file`` is refused: bioio's plugins read paths only."""
        self.name = display_name(path=path, file=file, name=name)
        if path is None:
            raise TypeError(f"{self.name}: vendor formats are read from a local path")
        detected = detect_format(path=path, name=self.name)
        if detected.bioio_plugin is None:
            raise TypeError(f"{self.name} is a {detected.name} file, which bioio does not read")
        self.format_name = detected.name
        self.series: list[SeriesInfo] = []
        self._readers: list[BioioSeriesReader] = []
        try:
            self._open(Path(path), detected)
        except UserFileError:
            raise
        except Exception as error:
            raise _unreadable(self.name, detected.name, error) from error
        if not self.series:
            raise _unreadable(self.name, detected.name, "no image data found")
        self.ome_xml = self._matching_ome_xml()

    def _open(self, path: Path, detected: DetectedFormat) -> None:
        from bioio import BioImage

        reader_class, options = _reader_for(detected.bioio_plugin or "")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # plugins warn about metadata they cannot map
            self._image = BioImage(path, reader=reader_class, **options)
            scenes = len(self._image.scenes)
            if detected.bioio_plugin == "czi":
                self._refuse_unlisted_scenes(path, listed=scenes)
            for index in range(scenes):
                self._image.set_scene(index)
                self._add_scene(index, plugin=detected.bioio_plugin or "")

    def _refuse_unlisted_scenes(self, path: Path, *, listed: int) -> None:
        """bioio-czi takes a CZI's scenes from its metadata; a file whose pixel data holds
        more scenes than that lists would lose the rest silently, so it is refused instead.
        """
        from pylibCZIrw import czi as pyczi

        with pyczi.open_czi(str(path)) as czi:
            stored = len(czi.scenes_bounding_rectangle)
        if stored > max(listed, 1):
            raise UserFileError(
                code="unsupported_layout",
                message=(
                    f"{self.name} holds {stored} scenes but its metadata describes {listed}, "
                    "so they cannot be told apart. Please re-save it in ZEN, or export each "
                    "scene as an OME-TIFF."
                ),
            )

    def _add_scene(self, index: int, *, plugin: str) -> None:
        image = self._image
        order = image.dims.order
        samples = int(image.dims.S) if "S" in order else 1
        if samples > 1 and plugin == "czi":
            # bioio-czi 3.0's lazy reads of Bgr24/Bgr48 give every sample the first one's
            # values: refused rather than converted to wrong colours.
            raise UserFileError(
                code="unsupported_pixel_type",
                message=(
                    f"{self.name} is an RGB (brightfield) CZI, which the built-in converter "
                    "cannot read yet. Please export it as OME-TIFF, or ask your facility to "
                    "convert it with Bio-Formats."
                ),
            )
        data = image.get_image_dask_data("TCZYXS" if "S" in order else "TCZYX")
        dtype = np.dtype(data.dtype)
        if dtype.kind not in _SUPPORTED_KINDS:
            raise UserFileError(
                code="unsupported_pixel_type",
                message=(
                    f"Scene {index} of {self.name} has pixel type {dtype.name}, which "
                    "OME-Zarr conversion does not support (integers and floats only)."
                ),
            )
        t, c, z, y, x = (int(size) for size in data.shape[:5])
        sizes = image.physical_pixel_sizes  # micrometres, None where the file does not say
        interval = image.time_interval
        physical = PhysicalSizes(
            x=_positive(sizes.X),
            y=_positive(sizes.Y),
            z=_positive(sizes.Z),
            unit="micrometer" if _positive(sizes.X) or _positive(sizes.Y) else None,
            z_unit="micrometer" if _positive(sizes.Z) else None,
            t=interval.total_seconds() if interval else None,
            t_unit="second" if interval else None,
        )
        names = [str(channel) for channel in (image.channel_names or [])]
        if samples > 1:  # RGB(A): one output channel per sample of each file channel
            names = [f"{n} {s}".strip() for n in (names or [""] * c) for s in "RGBA"[:samples]]
        info = SeriesInfo(
            index=index,
            name=str(image.current_scene) or f"{self.name} #{index}",
            shape=(t, c * samples, z, y, x),
            dtype=dtype,
            physical=physical,
            channel_names=tuple(names) if len(names) == c * samples else (),
            source_axes=order,
        )
        self.series.append(info)
        self._readers.append(BioioSeriesReader(data=data, info=info, samples=samples))

    def _matching_ome_xml(self) -> str | None:
        """The OME-XML bioio derives from the vendor metadata, if it describes our series.

        Not every file's metadata maps (bioio's CZI to OME transform rejects some), and RGB
        files are split into channels here: otherwise the converter writes minimal OME-XML.
        """
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                xml_text = self._image.ome_metadata.to_xml()
            images = parse_ome_images(xml_text)
        except Exception:
            return None
        if len(images) != len(self.series):
            return None
        for image, info in zip(images, self.series, strict=True):
            if (image.size_x, image.size_y) != (info.shape[4], info.shape[3]):
                return None
            if info.source_axes.endswith("S"):
                return None
        return str(xml_text)

    def reader(self, index: int) -> BioioSeriesReader:
        return self._readers[index]

    def close(self) -> None:
        # bioio readers open the file per read and hold no handle to release.
        self._readers = []

    def __enter__(self) -> BioioSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _positive(value: float | None) -> float | None:
    return float(value) if value is not None and value > 0 else None


def _unreadable(name: str, format_name: str, error: object) -> UserFileError:
    return UserFileError(
        code="corrupt_file",
        message=(
            f"{name} looks like a {format_name} file but could not be read ({error}). The "
            "file may be truncated or damaged: please upload it again, or re-export it from "
            "the acquisition software."
        ),
        details=repr(error),
    )
