"""Uploads: one resumable, checksummed protocol for the browser, the CLI and the API."""

from __future__ import annotations

from submissions.uploads.services.backends import PartInfo, PartTarget, staging_backend
from submissions.uploads.services.fixity import (
    fixity_receipt,
    stalled_verifications,
    verify_upload,
)
from submissions.uploads.services.names import sanitise_name
from submissions.uploads.services.parts import list_parts, receive_part, sign_part, sign_parts
from submissions.uploads.services.protocol import (
    UploadStarted,
    abort_upload,
    choose_part_size,
    complete_upload,
    create_upload,
)
from submissions.uploads.services.removal import remove_file
from submissions.uploads.services.sweeps import (
    expire_empty_uploads,
    expire_stale_uploads,
    sweep_temporary_parts,
)

__all__ = [
    "PartInfo",
    "PartTarget",
    "UploadStarted",
    "abort_upload",
    "choose_part_size",
    "complete_upload",
    "create_upload",
    "expire_empty_uploads",
    "expire_stale_uploads",
    "fixity_receipt",
    "list_parts",
    "receive_part",
    "remove_file",
    "sanitise_name",
    "sign_part",
    "sign_parts",
    "staging_backend",
    "stalled_verifications",
    "sweep_temporary_parts",
    "verify_upload",
]
