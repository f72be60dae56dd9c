"""Small input images written with tifffile, and helpers to read converted output back."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import tifffile
import zarr


def read_level(output: Path, *, series: int = 0, level: int = 0) -> np.ndarray:
    return np.asarray(zarr.open_array(str(output / str(series) / str(level)), mode="r")[...])


def image_attrs(output: Path, *, series: int = 0) -> dict:
    attrs = dict(zarr.open_group(str(output / str(series)), mode="r").attrs)
    return attrs.get("ome", attrs)


def random_image(shape: tuple[int, ...], dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    kind = np.dtype(dtype)
    if kind.kind == "f":
        return rng.normal(100.0, 30.0, size=shape).astype(kind)
    info = np.iinfo(kind)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=kind)


@pytest.fixture
def ome_tiff_5d(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """T=2, C=3, Z=4, Y=300, X=280 uint16 with physical sizes in the OME-XML."""
    data = random_image((2, 3, 4, 300, 280), "uint16")
    path = tmp_path / "five_d.ome.tif"
    tifffile.imwrite(
        path,
        data,
        ome=True,
        photometric="minisblack",
        metadata={
            "axes": "TCZYX",
            "PhysicalSizeX": 0.25,
            "PhysicalSizeY": 0.3,
            "PhysicalSizeZ": 1.5,
            "PhysicalSizeXUnit": "µm",
            "PhysicalSizeYUnit": "µm",
            "PhysicalSizeZUnit": "µm",
            "TimeIncrement": 2.0,
            "TimeIncrementUnit": "s",
            "Channel": {"Name": ["DAPI", "GFP", "RFP"]},
        },
    )
    return path, data


def write_czi(
    path: Path,
    data: np.ndarray,
    *,
    channel_names: list[str],
    pixel_size_um: tuple[float, float, float],
) -> Path:
    """Write ``data`` (CZYX) as a Zeiss CZI with pylibCZIrw, Zeiss's own reader/writer library.

    ``pixel_size_um`` is (z, y, x); CZI stores scaling in metres.
    """
    from pylibCZIrw import czi as pyczi

    size_z, size_y, size_x = pixel_size_um
    with pyczi.create_czi(str(path), exist_ok=True) as writer:
        for c, stack in enumerate(data):
            for z, plane in enumerate(stack):
                writer.write(plane[..., np.newaxis], plane={"T": 0, "C": c, "Z": z})
        writer.write_metadata(
            document_name=path.stem,
            channel_names=dict(enumerate(channel_names)),
            scale_x=size_x * 1e-6,
            scale_y=size_y * 1e-6,
            scale_z=size_z * 1e-6,
        )
    return path


@pytest.fixture
def czi_stack(tmp_path: Path) -> tuple[Path, np.ndarray]:
    """C=2, Z=3, Y=300, X=280 uint16 CZI, 0.25 x 0.25 x 1.5 µm, channels DAPI and GFP."""
    data = random_image((2, 3, 300, 280), "uint16", seed=7)
    path = write_czi(
        tmp_path / "stack.czi", data, channel_names=["DAPI", "GFP"], pixel_size_um=(1.5, 0.25, 0.25)
    )
    return path, data


def write_lif(
    path: Path,
    data: np.ndarray,
    *,
    channel_names: list[str],
    pixel_size_um: tuple[float, float, float],
) -> Path:
    """Write ``data`` (ZCYX uint16) as a minimal Leica LIF (no Python library writes one).

    The layout liffile reads: a header block holding the UTF-16 XML description, then one
    memory block per element. ``pixel_size_um`` is (z, y, x); LIF stores extents in metres.
    """
    size_z, _, size_y, size_x = data.shape
    item = data.dtype.itemsize
    plane = size_y * size_x * item
    channels = "".join(
        f'<ChannelDescription DataType="0" ChannelTag="0" Resolution="{item * 8}" '
        f'NameOfMeasuredQuantity="" Min="0" Max="65535" Unit="" LUTName="{name}" '
        f'IsLUTInverted="0" BytesInc="{c * plane}" BitInc="0"/>'
        for c, name in enumerate(channel_names)
    )
    dims = "".join(
        f'<DimensionDescription DimID="{dim_id}" NumberOfElements="{n}" Origin="0" '
        f'Length="{(n - 1) * step * 1e-6!r}" Unit="m" BitInc="0" BytesInc="{increment}"/>'
        for dim_id, n, step, increment in (
            (1, size_x, pixel_size_um[2], item),
            (2, size_y, pixel_size_um[1], size_x * item),
            (3, size_z, pixel_size_um[0], len(channel_names) * plane),
        )
    )
    xml = (
        '<LMSDataContainerHeader Version="2"><Element Name="project" UniqueID="p">'
        '<Data><Experiment/></Data><Memory Size="0" MemoryBlockID="MemBlock_0"/><Children>'
        f'<Element Name="{path.stem}" UniqueID="i"><Data><Image><ImageDescription>'
        f"<Channels>{channels}</Channels><Dimensions>{dims}</Dimensions>"
        f'</ImageDescription></Image></Data><Memory Size="{data.nbytes}" '
        'MemoryBlockID="MemBlock_1"/><Children/></Element></Children></Element>'
        "</LMSDataContainerHeader>"
    )
    text = xml.encode("utf-16-le")

    def block(block_id: str, payload: bytes) -> bytes:
        header = struct.pack("<IIBQBI", 0x70, 0, 0x2A, len(payload), 0x2A, len(block_id))
        return header + block_id.encode("utf-16-le") + payload

    with path.open("wb") as out:
        out.write(struct.pack("<IIBI", 0x70, len(text) + 5, 0x2A, len(xml)) + text)
        out.write(block("MemBlock_0", b""))
        out.write(block("MemBlock_1", np.ascontiguousarray(data, dtype="<u2").tobytes()))
    return path
