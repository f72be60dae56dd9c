"""Command line for the built-in converter, mirroring bioformats2raw's options.

    python -m submissions.conversion.cli convert INPUT OUTPUT [--resolutions N]
        [--tile-width W --tile-height H] [--compression blosc|zstd|none]
        [--max-workers N] [--ngff-version 0.4|0.5] [--shard-bytes N | --shard-shape T,C,Z,Y,X]
        [--s3-endpoint-url URL --s3-region R --s3-addressing-style path|virtual]
        [--overwrite] [--progress]

OUTPUT is a folder, or ``s3://bucket/prefix`` to write straight to object storage; INPUT
may be ``s3://bucket/key`` for the TIFF family, read by ranged GETs (credentials come from
the environment, as boto3 reads them: AWS_ACCESS_KEY_ID, ...; the --s3-* options apply to
both).

Exit codes: 0 converted; 2 the input file is bad or unsupported (message on stderr);
1 any other failure. With ``--progress`` stdout carries ``CONVERTER <name> <version>`` and
``PROGRESS <fraction>`` lines. On failure stderr carries one ``APERTURE-ERROR <json>`` line
so the parent process can rebuild the exact error (code, message, transient).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from submissions.conversion.errors import ApplicationError, ConversionError, UserFileError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USER_FILE = 2
ERROR_PREFIX = "APERTURE-ERROR "


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _shard_shape(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("five whole numbers: T,C,Z,Y,X") from None
    if len(values) != 5 or min(values) < 1:
        raise argparse.ArgumentTypeError("five whole numbers of at least 1: T,C,Z,Y,X")
    return values


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aperture", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    # -h is bioformats2raw's tile height, so this command's help is --help only.
    convert = commands.add_parser(
        "convert", help="convert an image file to OME-Zarr", add_help=False
    )
    convert.add_argument("--help", action="help", help="show this help message and exit")
    convert.add_argument("input", help="a file, or s3://bucket/key (TIFF family only)")
    convert.add_argument("output", help="a folder, or s3://bucket/prefix")
    convert.add_argument("--input-name", default=None, help="the file name messages show")
    convert.add_argument(
        "--resolutions",
        "-r",
        type=_positive,
        default=None,
        help="number of pyramid levels (default: down to 256 px)",
    )
    convert.add_argument("--tile-width", "-w", type=_positive, default=1024)
    convert.add_argument("--tile-height", "-h", type=_positive, default=1024)
    convert.add_argument("--compression", "-c", choices=("blosc", "zstd", "none"), default="blosc")
    convert.add_argument("--max-workers", type=_positive, default=None)
    convert.add_argument("--ngff-version", choices=("0.4", "0.5"), default="0.5")
    convert.add_argument(
        "--shard-bytes",
        type=_non_negative,
        default=2**30,
        help="NGFF 0.5: pixels per shard, in bytes (default 1 GiB; 0: one object per chunk)",
    )
    convert.add_argument(
        "--shard-shape",
        type=_shard_shape,
        default=None,
        help="NGFF 0.5: shard shape T,C,Z,Y,X in pixels (overrides --shard-bytes)",
    )
    convert.add_argument("--s3-endpoint-url", default=None)
    convert.add_argument("--s3-region", default=None)
    convert.add_argument("--s3-addressing-style", choices=("path", "virtual", "auto"))
    convert.add_argument("--overwrite", action="store_true")
    convert.add_argument("--progress", "-p", action="store_true")
    commands.add_parser("version", help="print the converter name and version")
    return parser


def _report(error: ConversionError) -> None:
    print(f"error: {error.message}", file=sys.stderr)
    print(ERROR_PREFIX + json.dumps(error.as_dict()), file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    # Imported here so "--help" and argument errors do not pay for numpy/zarr start-up.
    parser = _parser()
    args = parser.parse_args(argv)
    from submissions.conversion.builtin import (
        CONVERTER_NAME,
        convert,
        converter_version,
    )
    from submissions.conversion.target import OutputLocation, S3Location, storage_unavailable

    if args.command == "version":
        print(f"{CONVERTER_NAME} {converter_version()}")
        return EXIT_OK

    def report_progress(fraction: float) -> None:
        print(f"PROGRESS {fraction:.3f}", flush=True)

    if args.progress:
        print(f"CONVERTER {CONVERTER_NAME} {converter_version()}", flush=True)

    def location(text: str) -> Path | S3Location:
        if not text.startswith("s3://"):
            return Path(text)
        try:
            return S3Location.from_url(
                text,
                endpoint_url=args.s3_endpoint_url,
                region=args.s3_region,
                addressing_style=args.s3_addressing_style,
            )
        except ValueError as error:
            parser.error(str(error))

    output: OutputLocation = location(args.output)
    source = location(args.input)
    try:
        convert(
            input_path=source,
            input_name=args.input_name,
            output=output,
            resolutions=args.resolutions,
            tile_width=args.tile_width,
            tile_height=args.tile_height,
            compression=args.compression,
            max_workers=args.max_workers,
            ngff_version=args.ngff_version,
            shard_bytes=args.shard_bytes,
            shard_shape=args.shard_shape,
            overwrite=args.overwrite,
            on_progress=report_progress if args.progress else None,
        )
    except UserFileError as error:
        _report(error)
        return EXIT_USER_FILE
    except ConversionError as error:
        _report(error)
        return EXIT_FAILURE
    except FileNotFoundError as error:
        _report(UserFileError(code="missing_input", message=f"No such file: {error.filename}"))
        return EXIT_USER_FILE
    except MemoryError:
        _report(ApplicationError(code="out_of_memory", message="The converter ran out of memory."))
        return EXIT_FAILURE
    except Exception as error:
        traceback.print_exc()
        if storage_unavailable(error):
            _report(
                ApplicationError(
                    code="storage_unavailable",
                    message="Object storage was unavailable while the conversion was written.",
                    details=repr(error),
                    transient=True,
                )
            )
            return EXIT_FAILURE
        _report(ApplicationError(code="converter_crashed", message=repr(error)))
        return EXIT_FAILURE
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
