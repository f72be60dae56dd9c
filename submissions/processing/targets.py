"""Where a conversion writes, decided here and handed to the conversion library.

The converter (submissions.conversion, no Django) writes straight to an *output location*:
a folder, or an S3 prefix with the endpoint and credentials to reach it. These helpers turn
a configured storage (``storage.archive()``, ``storage.staging()``) and a server-chosen key
prefix into that location, and the settings into the output format, so the job code only
says *which* storage and prefix.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import Storage

from submissions.conversion.errors import UserFileError
from submissions.conversion.formats import detect_format
from submissions.conversion.runner import OutputFormat
from submissions.conversion.target import OutputLocation, S3Location
from submissions.core import storage as storage_helpers
from submissions.uploads.models import DataFile


def conversion_output(*, storage: Storage, prefix: str) -> OutputLocation:
    """The output location of ``prefix`` in ``storage`` (an S3 bucket or a folder).

    Credentials are the storage's own when configured, else boto3's chain in the child.
    """
    cleaned = prefix.strip("/")
    if storage_helpers.is_s3(storage):
        return S3Location(
            bucket=str(getattr(storage, "bucket_name", "")),
            prefix=cleaned,
            endpoint_url=getattr(storage, "endpoint_url", None) or None,
            region=getattr(storage, "region_name", None) or None,
            addressing_style=getattr(storage, "addressing_style", None) or None,
            access_key=getattr(storage, "access_key", None) or None,
            secret_key=getattr(storage, "secret_key", None) or None,
            session_token=getattr(storage, "security_token", None) or None,
        )
    return Path(storage.path(cleaned))


def output_format() -> OutputFormat:
    """NGFF version and sharding from CONVERSION_NGFF_VERSION, CONVERSION_SHARD_BYTES and
    CONVERSION_SHARD_SHAPE ("T,C,Z,Y,X", empty for a shape from the byte size)."""
    text = settings.CONVERSION_SHARD_SHAPE.strip()
    shape = tuple(int(part) for part in text.split(",")) if text else None
    if shape is not None and (len(shape) != 5 or min(shape) < 1):
        raise ValueError("CONVERSION_SHARD_SHAPE must be five positive numbers: T,C,Z,Y,X")
    return OutputFormat(
        ngff_version=settings.CONVERSION_NGFF_VERSION,
        shard_bytes=settings.CONVERSION_SHARD_BYTES,
        shard_shape=shape,
    )


def streamed_input(*, data_file: DataFile, output: OutputLocation) -> S3Location | None:
    """The upload as an S3 object the built-in converter reads by ranged GETs, or None when
    it must be copied to scratch first: folder staging (a symlink costs nothing), formats
    whose readers need a path (vendor formats, Bio-Formats), no recorded checksum, or an
    S3 output on another endpoint or with other credentials."""
    staging = storage_helpers.staging()
    if not storage_helpers.is_s3(staging) or not data_file.sha256:
        return None
    with storage_helpers.open_seekable(
        storage=staging, key=data_file.storage_key, name=data_file.name
    ) as handle:
        try:
            if not detect_format(file=handle, name=data_file.name).is_tiff:
                return None
        except UserFileError:
            return None
    location = conversion_output(storage=staging, prefix=data_file.storage_key)
    if not isinstance(location, S3Location):
        return None
    if isinstance(output, S3Location) and (output.endpoint_url, output.access_key) != (
        location.endpoint_url,
        location.access_key,
    ):
        return None
    return location
