"""Part checksums in S3's wire format: base64 of the digest (CRC32C big-endian, 4 bytes)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Protocol

import google_crc32c

from submissions.uploads.models import ChecksumAlgorithm

DIGEST_SIZES = {ChecksumAlgorithm.SHA256: 32, ChecksumAlgorithm.CRC32C: 4}
# The header S3 checks on UploadPart; Aperture's folder storage reads the same one.
HEADERS = {
    ChecksumAlgorithm.SHA256: "x-amz-checksum-sha256",
    ChecksumAlgorithm.CRC32C: "x-amz-checksum-crc32c",
}
# boto3 parameter names for the same checksums.
S3_PARAMS = {ChecksumAlgorithm.SHA256: "ChecksumSHA256", ChecksumAlgorithm.CRC32C: "ChecksumCRC32C"}
S3_ALGORITHMS = {ChecksumAlgorithm.SHA256: "SHA256", ChecksumAlgorithm.CRC32C: "CRC32C"}


class Hasher(Protocol):
    def update(self, data: bytes, /) -> object: ...

    def digest(self) -> bytes: ...


def new_hasher(algorithm: str) -> Hasher:
    if algorithm == ChecksumAlgorithm.CRC32C:
        return google_crc32c.Checksum()
    return hashlib.sha256()


def encode(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def is_valid(algorithm: str, value: str) -> bool:
    """A well-formed base64 digest of the algorithm's length."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == DIGEST_SIZES.get(ChecksumAlgorithm(algorithm), -1)
