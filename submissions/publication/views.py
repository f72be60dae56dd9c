"""Public pages of published datasets: landing page, JSON, downloads, thumbnails."""

from __future__ import annotations

import mimetypes
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from submissions.accounts.models import User
from submissions.core import storage
from submissions.core.errors import NotFound
from submissions.publication import selectors


def _viewer(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


CATALOGUE_PAGE_SIZE = 25


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    """Every released dataset, searchable: open to everyone, signed in or not."""
    q = request.GET.get("q", "").strip()[: selectors.MAX_QUERY]
    found = selectors.released_datasets(q=q)
    page = Paginator(found, CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "q": q, "query": urlencode({"q": q}) if q else ""}
    return render(request, "publication/catalogue.html", context)


@require_GET
def landing(request: HttpRequest, accession: str) -> HttpResponse:
    view = selectors.published_dataset(accession=accession, user=_viewer(request))
    context = {"view": view, "keep_originals": settings.ARCHIVE_KEEP_ORIGINALS}
    if view.full_access:
        url = request.build_absolute_uri(reverse("dataset-landing", args=[accession]))
        credits = selectors.dataset_credits(view=view, url=url)
        context["credits"] = credits
        context["json_ld"] = selectors.schema_org_dataset(view=view, credits=credits, url=url)
        context["viewer_images"] = [image.as_dict() for image in selectors.viewer_images(view=view)]
    return render(request, "publication/landing.html", context)


@require_GET
def metadata_json(request: HttpRequest, accession: str) -> HttpResponseBase:
    view = selectors.published_dataset(accession=accession, user=_viewer(request))
    document = selectors.dataset_document(view=view, base_url=request.build_absolute_uri("/"))
    if view.full_access:
        credits = selectors.dataset_credits(view=view, url=document["url"])
        document["licence"] = credits.licence_url
        document["citation"] = credits.citation
    response = JsonResponse(document, json_dumps_params={"indent": 2})
    return _open_to_web_viewers(response, view)


def _serve(key: str, *, filename: str | None = None) -> HttpResponseBase:
    archive = storage.archive()
    url = storage.download_url(storage=archive, key=key, filename=filename)
    if url is not None:
        return HttpResponseRedirect(url)  # presigned, short-lived: the bytes skip Django
    if not storage.exists(storage=archive, key=key):
        raise NotFound("This object is not in the archive.")
    content_type = mimetypes.guess_type(filename or key)[0] or "application/octet-stream"
    response = FileResponse(
        storage.open_object(storage=archive, key=key),
        as_attachment=filename is not None,
        filename=filename or "",
        content_type=content_type,
    )
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_GET
def original(request: HttpRequest, accession: str, file_id: str) -> HttpResponseBase:
    view = selectors.published_dataset(accession=accession, user=_viewer(request))
    key = selectors.dataset_object_key(view=view, file_id=str(file_id), kind="original")
    name = next(row["name"] for row in view.files if row["id"] == str(file_id))
    return _serve(key, filename=name)


@require_GET
def thumbnail(request: HttpRequest, accession: str, file_id: str) -> HttpResponseBase:
    view = selectors.published_dataset(accession=accession, user=_viewer(request))
    return _serve(selectors.dataset_object_key(view=view, file_id=str(file_id), kind="thumbnail"))


@require_GET
def zarr_object(request: HttpRequest, accession: str, file_id: str, path: str) -> HttpResponseBase:
    """Any object of a published OME-Zarr, so viewers can read it over HTTP from the portal."""
    view = selectors.published_dataset(accession=accession, user=_viewer(request))
    response = _serve(
        selectors.dataset_object_key(view=view, file_id=str(file_id), kind="zarr", path=path)
    )
    return _open_to_web_viewers(response, view)


def _open_to_web_viewers(
    response: HttpResponseBase, view: selectors.DatasetView
) -> HttpResponseBase:
    """Released data may be read by browser-based viewers (vizarr, Neuroglancer) on other
    origins; embargoed data is read with the viewer's own session only, so never shared."""
    if view.embargoed_until is None:
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=300"
    return response
