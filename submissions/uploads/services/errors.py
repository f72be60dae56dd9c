"""What can go wrong with an upload, each with a message a person (or a client) can act on."""

from __future__ import annotations

from submissions.core.errors import PortalError


class UploadNotActive(PortalError):
    http_status = 409
    code = "upload_not_active"
    default_message = "This upload is no longer in progress."


class PartAlreadyReceived(PortalError):
    http_status = 409
    code = "part_already_received"
    default_message = "This part has already arrived with other bytes and cannot be replaced."


class PartsMissing(PortalError):
    http_status = 409
    code = "parts_missing"
    default_message = "Some parts have not arrived yet."


class SizeMismatch(PortalError):
    http_status = 409
    code = "size_mismatch"
    default_message = "The bytes that arrived do not add up to the declared size."


class BadDigest(PortalError):
    http_status = 400
    code = "bad_digest"
    default_message = "The part's checksum does not match its bytes; send the part again."


class IncompletePart(PortalError):
    http_status = 400
    code = "incomplete_part"
    default_message = "The part did not arrive whole; send it again."


class UrlExpired(PortalError):
    http_status = 403
    code = "url_expired"
    default_message = "Request has expired"


class FileDeleted(PortalError):
    """Its bytes were deleted after the retention period of a rejected or withdrawn
    submission (uploads.services.retention); the row stays for the record."""

    http_status = 410
    code = "file_deleted"
    default_message = "This file's uploaded bytes were deleted."


class FileNotStored(PortalError):
    http_status = 409
    code = "file_not_stored"
    default_message = "This file has no stored bytes to download (it is still arriving or failed)."


class PartBusy(PortalError):
    """Another request is still writing the part (uploads.services.regions). 503, as for a
    busy server: the CLI and the browser uploader send the part again after a pause."""

    http_status = 503
    code = "part_busy"
    default_message = "This part is still arriving in another request; send it again later."
