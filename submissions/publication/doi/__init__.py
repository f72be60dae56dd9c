"""DOI registration agencies behind one small interface, chosen by the DOI_PROVIDER setting:
"none" (no DOI) or "datacite" (DataCite's REST API)."""

from __future__ import annotations

from typing import Any, Protocol

from django.conf import settings


class DoiError(Exception):
    """The agency did not take the request. `transient`: unreachable or overloaded, try again
    later; otherwise it refused (bad credentials, a prefix not ours, invalid metadata), which
    an operator must fix. Both are retried with backoff; neither stops publication."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class DoiProvider(Protocol):
    prefix: str

    def put(self, *, doi: str, attributes: dict[str, Any], event: str = "") -> str:
        """Create or update the DOI's record (with a state event: publish, register, hide);
        returns the state the agency reports (draft, registered, findable)."""

    def delete_draft(self, *, doi: str) -> None:
        """Remove a draft DOI (only drafts can be removed)."""


def provider() -> DoiProvider | None:
    if settings.DOI_PROVIDER == "datacite":
        from submissions.publication.doi.datacite import DataCite

        return DataCite(
            url=settings.DATACITE_URL,
            repository_id=settings.DATACITE_REPOSITORY_ID,
            password=settings.DATACITE_PASSWORD,
            prefix=settings.DATACITE_PREFIX,
            timeout=settings.DATACITE_TIMEOUT_SECONDS,
        )
    return None
