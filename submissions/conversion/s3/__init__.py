"""S3 for the conversion library: where (an S3Location), how to write (S3Target: PUTs, and
shards as parallel multipart uploads), how to read back (S3ReadStore, a zarr store), and
which failures are the store's and worth retrying. boto3 only; no Django.

See submissions.conversion.target for the output abstraction these implement. The parts:
`location` (S3Location, listings, storage_unavailable), `upload` (S3Target and its multipart
sinks) and `store` (S3ReadStore); import the names from here.
"""

from __future__ import annotations

from submissions.conversion.s3.location import S3Location, s3_listing, storage_unavailable
from submissions.conversion.s3.store import S3ReadStore
from submissions.conversion.s3.upload import (
    CHECKSUM_ALGORITHM,
    S3_PART_BYTES,
    S3_UPLOAD_WORKERS,
    S3Target,
)

__all__ = [
    "CHECKSUM_ALGORITHM",
    "S3_PART_BYTES",
    "S3_UPLOAD_WORKERS",
    "S3Location",
    "S3ReadStore",
    "S3Target",
    "s3_listing",
    "storage_unavailable",
]
