"""How Aperture reaches the staging and archive storages: the storages themselves, their boto3
clients (the storage's own, one that signs for the public endpoint, one for hashed reads), the
transfer sizes every S3 call uses, and the guard that keeps a prefix off a storage root.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages

# Objects up to this size go in one PUT; larger ones as a multipart upload of these parts.
MULTIPART_THRESHOLD = 64 * 2**20
MULTIPART_CHUNKSIZE = 64 * 2**20
# Parts of a pushed tree's large objects (shards): boto3's own default part size. More parts in
# flight beat fewer large ones (`make bench-publish`: 1.22 s against 1.57 s with 64 MiB parts
# for the same 212 MB tree); s3transfer enlarges parts itself past 10,000 of them.
PUSH_CHUNKSIZE = 8 * 2**20
CHECKSUM_ALGORITHM = "CRC32"


def staging() -> Storage:
    return storages["staging"]


def archive() -> Storage:
    return storages["archive"]


def is_s3(storage: Storage) -> bool:
    return hasattr(storage, "bucket_name") and not isinstance(storage, FileSystemStorage)


def s3_client(storage: Storage) -> Any:
    """The boto3 client behind a django-storages S3Storage (thread-safe, shareable)."""
    return storage.connection.meta.client  # type: ignore[attr-defined]


_public_clients: dict[str, Any] = {}
_public_lock = threading.Lock()


def public_client(storage: Storage) -> Any:
    """The client that signs URLs a browser or CLI will follow.

    With S3_PUBLIC_ENDPOINT_URL set (the servers reach S3 at an internal name, people at
    another), a client for that endpoint with the same credentials, region and addressing;
    signing needs no network, so it is never used to send a request. Otherwise the
    storage's own client.
    """
    endpoint = settings.S3_PUBLIC_ENDPOINT_URL
    if not endpoint:
        return s3_client(storage)
    with _public_lock:
        client = _public_clients.get(endpoint)
        if client is None:
            import boto3

            # Same credentials as the storage: its own keys if configured, else boto3's chain.
            client = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint,
                region_name=settings.S3_REGION_NAME,
                aws_access_key_id=getattr(storage, "access_key", None) or None,
                aws_secret_access_key=getattr(storage, "secret_key", None) or None,
                aws_session_token=getattr(storage, "security_token", None) or None,
                config=s3_client(storage).meta.config,
            )
            _public_clients[endpoint] = client
        return client


_reading_clients: dict[int, Any] = {}


def reading_client(storage: Storage) -> Any:
    """A client for reads whose bytes Aperture hashes itself (fixity): the same endpoint,
    credentials and settings as the storage's own, but botocore checks a response against
    the object's stored checksum only when the API requires it. A multipart object's stored
    checksum is a composite of its parts; moto's server (the tests' and the acceptance run's
    S3) reports one for server-side multipart copies that botocore takes for the whole
    object's, and refused good bytes. Aperture's own SHA-256 of every byte is the check."""
    from botocore.config import Config

    client = s3_client(storage)
    with _public_lock:
        reader = _reading_clients.get(id(client))
        if reader is None:
            import boto3

            reader = boto3.session.Session().client(
                "s3",
                endpoint_url=client.meta.endpoint_url,
                region_name=client.meta.region_name,
                aws_access_key_id=getattr(storage, "access_key", None) or None,
                aws_secret_access_key=getattr(storage, "secret_key", None) or None,
                aws_session_token=getattr(storage, "security_token", None) or None,
                config=client.meta.config.merge(
                    Config(response_checksum_validation="when_required")
                ),
            )
            _reading_clients[id(client)] = reader
        return reader


def _bucket(storage: Storage) -> str:
    return str(storage.bucket_name)  # type: ignore[attr-defined]


def _folder_path(storage: Storage, key: str) -> Path:
    return Path(storage.path(key))


def _require_prefix(prefix: str) -> str:
    cleaned = prefix.strip("/")
    if not cleaned or "/" not in cleaned or ".." in cleaned.split("/"):
        # datasets/<accession>/... at the least: never a bucket or folder root.
        raise ValueError(f"refusing to operate on a storage root or unsafe prefix {prefix!r}")
    return cleaned + "/"
