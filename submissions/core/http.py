"""Small HTTP helpers the pages and the API share."""

from __future__ import annotations

from django.http import HttpResponse


def csv_attachment(filename: str, body: str) -> HttpResponse:
    """`body` as a CSV download named `filename` (a name the server made, never a client's)."""
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
