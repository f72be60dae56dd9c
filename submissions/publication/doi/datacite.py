"""DataCite's REST API (https://support.datacite.org/docs/api-create-dois and
…/updating-metadata-with-the-rest-api): JSON:API documents at `/dois`, HTTP Basic with the
repository id and password.

`PUT /dois/{doi}` updates a record or creates it if the DOI is not taken, so every call here
is an upsert and a retry is harmless. The `event` attribute moves the state: `publish`
(draft or registered -> findable), `register` (draft -> registered), `hide` (findable ->
registered). Without an event a new record is a draft. Only drafts can be deleted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from submissions.publication.doi import DoiError

JSON_API = "application/vnd.api+json"


class DataCite:
    def __init__(
        self, *, url: str, repository_id: str, password: str, prefix: str, timeout: float
    ) -> None:
        self.url = url.rstrip("/")
        self.auth = (repository_id, password)
        self.prefix = prefix
        self.timeout = timeout

    def _send(self, method: str, doi: str, body: dict[str, Any] | None = None) -> httpx.Response:
        try:
            return httpx.request(
                method,
                f"{self.url}/dois/{quote(doi, safe='/')}",
                json=body,
                auth=self.auth,
                headers={"Content-Type": JSON_API, "Accept": JSON_API},
                timeout=self.timeout,
            )
        except httpx.HTTPError as error:
            raise DoiError(f"DataCite could not be reached: {error}", transient=True) from error

    def put(self, *, doi: str, attributes: dict[str, Any], event: str = "") -> str:
        sent = {**attributes, "doi": doi}
        if event:
            sent["event"] = event
        response = self._send("PUT", doi, {"data": {"type": "dois", "attributes": sent}})
        _check(response)
        try:
            state = response.json()["data"]["attributes"]["state"]
        except (ValueError, KeyError, TypeError) as error:
            raise DoiError(
                "DataCite answered with an unreadable document.", transient=True
            ) from error
        return str(state)

    def delete_draft(self, *, doi: str) -> None:
        response = self._send("DELETE", doi)
        if response.status_code == 404:
            return  # already gone
        _check(response)


def _check(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        errors = response.json().get("errors") or []
        detail = "; ".join(
            f"{e.get('source', '')}: {e.get('title', '')}".strip(": ") for e in errors
        )
    except (ValueError, AttributeError):
        detail = response.text[:500]
    transient = response.status_code >= 500 or response.status_code == 429
    raise DoiError(
        f"DataCite answered {response.status_code}: {detail or response.reason_phrase}",
        transient=transient,
    )
