"""Where conversion output lives in S3 (an S3Location and its client), what is there (its
listing), and which failures are the store's and worth retrying. boto3 only; no Django."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class S3Location:
    """A prefix in an S3 bucket (AWS, MinIO, Ceph RGW...), and how to reach it."""

    bucket: str
    prefix: str
    endpoint_url: str | None = None
    region: str | None = None
    addressing_style: str | None = None  # "path" for MinIO and most local services
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        cleaned = self.prefix.strip("/")
        if not self.bucket or not cleaned or ".." in cleaned.split("/"):
            raise ValueError(f"unsafe S3 output location s3://{self.bucket}/{self.prefix}")
        object.__setattr__(self, "prefix", cleaned)

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def name(self) -> str:
        return self.prefix.rsplit("/", 1)[-1]

    def cli_args(self) -> list[str]:
        """The converter command line's description of this location (no secrets)."""
        args = [self.url]
        for option, value in (
            ("--s3-endpoint-url", self.endpoint_url),
            ("--s3-region", self.region),
            ("--s3-addressing-style", self.addressing_style),
        ):
            if value:
                args += [option, value]
        return args

    def env(self) -> dict[str, str]:
        """Credentials for the child's environment (boto3 reads these names)."""
        values = {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }
        return {name: value for name, value in values.items() if value}

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        addressing_style: str | None = None,
    ) -> S3Location:
        """``s3://bucket/prefix``; credentials come from boto3's usual chain (environment)."""
        if not url.startswith("s3://"):
            raise ValueError(f"not an s3:// URL: {url}")
        bucket, _, prefix = url[len("s3://") :].partition("/")
        return cls(
            bucket=bucket,
            prefix=prefix,
            endpoint_url=endpoint_url,
            region=region,
            addressing_style=addressing_style,
        )

    def client(self, *, max_connections: int = 16) -> Any:
        import boto3
        from botocore.config import Config

        config = Config(
            max_pool_connections=max_connections,
            retries={"max_attempts": 5, "mode": "standard"},
            s3={"addressing_style": self.addressing_style} if self.addressing_style else None,
        )
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            aws_session_token=self.session_token,
            config=config,
        )


def s3_listing(client: Any, location: S3Location) -> dict[str, int]:
    prefix = location.prefix + "/"
    found: dict[str, int] = {}
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=location.bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"][len(prefix) :]] = int(item["Size"])
    return found


_TRANSIENT_CODES = {
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "Throttling",
}


def storage_unavailable(error: BaseException) -> bool:
    """True for an object store that could not be reached or answered 5xx / "slow down":
    the conversion is worth retrying later (the worker does, see processing.jobs)."""
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, BotoConnectionError | HTTPClientError | ConnectionError):
            return True
        if isinstance(current, TimeoutError):
            return True
        if isinstance(current, ClientError):
            code = str(current.response.get("Error", {}).get("Code", ""))
            status = int(current.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            return code in _TRANSIENT_CODES or status >= 500
        current = current.__cause__ or current.__context__
    return False
