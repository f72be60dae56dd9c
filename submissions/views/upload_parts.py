"""PUT of one part's bytes with folder storage: the part URL the server signed points here.

A plain Django view rather than DRF, so nothing parses or buffers the body: the service reads
it from the WSGI stream in 1 MiB pieces. The signed token in the URL is the authorisation, as
with an S3 presigned URL, so the same client code serves both storages (and needs no CSRF).
"""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from submissions.services import uploads
from submissions.services.exceptions import PortalError
from submissions.services.uploads.backends import read_token

EXPIRED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    "<Message>Request has expired</Message></Error>"
)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "fields": {}}, status=status)


@csrf_exempt
@require_http_methods(["PUT"])
def receive_part(request: HttpRequest, pk: str, number: int) -> HttpResponse:
    try:
        signed = read_token(request.GET.get("token", ""))
    except signing.SignatureExpired:
        # S3's wording: Uppy and the CLI recognise it and fetch a fresh URL.
        return HttpResponse(EXPIRED, status=403, content_type="application/xml")
    except signing.BadSignature:
        return _error(403, "bad_signature", "This part URL is not valid; ask for a new one.")
    if signed.get("f") != str(pk) or signed.get("n") != number:
        return _error(403, "bad_signature", "This part URL was signed for another part.")
    try:
        length = int(request.headers.get("Content-Length", ""))
        etag = uploads.receive_part(
            datafile_id=str(pk),
            number=number,
            checksum=str(signed["c"]),
            body=request,  # type: ignore[arg-type]
            content_length=length,
        )
    except ValueError:
        return _error(411, "length_required", "Send the part with a Content-Length header.")
    except PortalError as exc:
        return _error(exc.http_status, exc.code, exc.message)
    response = HttpResponse(status=200)
    response["ETag"] = etag
    return response
