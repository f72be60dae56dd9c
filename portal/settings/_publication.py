"""Publication: accessions, embargo release, DOIs, OAI-PMH."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from ._env import env

ACCESSION_PREFIX = env.str("ACCESSION_PREFIX", default="APT")
# Datasets whose release date has come are released by beat this often (and at publication).
EMBARGO_RELEASE_SECONDS = env.float("EMBARGO_RELEASE_SECONDS", default=900.0)
# DOIs: "none" (no DOI is minted) or "datacite" (DataCite's REST API, JSON:API at /dois).
DOI_PROVIDER = env.str("DOI_PROVIDER", default="none")
if DOI_PROVIDER not in {"none", "datacite"}:
    raise ImproperlyConfigured(f"DOI_PROVIDER must be none or datacite, not {DOI_PROVIDER!r}")
DATACITE_URL = env.str("DATACITE_URL", default="https://api.test.datacite.org")
DATACITE_REPOSITORY_ID = env.str("DATACITE_REPOSITORY_ID", default="")
DATACITE_PASSWORD = env.str("DATACITE_PASSWORD", default="")
DATACITE_PREFIX = env.str("DATACITE_PREFIX", default="")
if DOI_PROVIDER == "datacite" and not (
    DATACITE_REPOSITORY_ID and DATACITE_PASSWORD and DATACITE_PREFIX
):
    raise ImproperlyConfigured(
        "DOI_PROVIDER=datacite needs DATACITE_REPOSITORY_ID, DATACITE_PASSWORD and DATACITE_PREFIX."
    )
DATACITE_TIMEOUT_SECONDS = env.float("DATACITE_TIMEOUT_SECONDS", default=20.0)
# A DOI the agency refused or could not be reached for is retried with backoff, forever (the
# dataset is public meanwhile; its page says "DOI pending"), at most this far apart.
DOI_RETRY_MAX_SECONDS = env.float("DOI_RETRY_MAX_SECONDS", default=6 * 3600.0)
DOI_SYNC_SECONDS = env.float("DOI_SYNC_SECONDS", default=60.0)
# OAI-PMH: records per page of ListRecords / ListIdentifiers, and how long a resumption
# token stays valid.
OAI_PAGE_SIZE = env.int("OAI_PAGE_SIZE", default=100)
OAI_TOKEN_SECONDS = env.int("OAI_TOKEN_SECONDS", default=24 * 3600)
OAI_ADMIN_EMAIL = env.str("OAI_ADMIN_EMAIL", default="")
# The fixity audit reads every archived byte; this caps how fast (MB/s, across its threads),
# so the weekly audit leaves the archive's bandwidth to downloads. 0: no cap.
FIXITY_AUDIT_MAX_MB_S = env.float("FIXITY_AUDIT_MAX_MB_S", default=0.0)
