"""Public pages of published datasets (landing page, JSON, RO-Crate, downloads, thumbnails) and
what a curator does to one (release early, extend the embargo, withdraw, deposit package)."""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms import Form
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from submissions.accounts.models import User
from submissions.accounts.permissions import can_curate
from submissions.core import storage
from submissions.core.errors import InvalidTransition, NotFound, ValidationFailed
from submissions.core.http import ranged_response
from submissions.publication import forms as forms_mod
from submissions.publication import oai, selectors
from submissions.publication.formats import rocrate, schemaorg
from submissions.publication.formats.record import dataset_record
from submissions.publication.services import deposit, release, tombstone
from submissions.rembi import services as rembi
from submissions.review.forms import apply_errors


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
    return _landing_page(request, accession)


def _landing_page(
    request: HttpRequest,
    accession: str,
    *,
    forms: dict[str, Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _viewer(request)
    view = selectors.published_dataset(accession=accession, user=user)
    record = None
    if view.full_access or (view.tombstoned and view.show_title):
        record = dataset_record(submission=view.submission)
    curating = user is not None and can_curate(user=user, submission=view.submission)
    context: dict[str, Any] = {
        "view": view,
        "record": record,
        "keep_originals": settings.ARCHIVE_KEEP_ORIGINALS,
        "metadata": rembi.public_document(view.submission.metadata) if view.full_access else None,
        "curating": curating,
        "forms": (forms or _curation_forms(view)) if curating else {},
        "oai_identifier": oai.oai_identifier(accession),
    }
    if record is not None and view.released and not view.tombstoned:
        # Only a released dataset speaks to machines: never an embargoed one, whoever looks.
        context["json_ld"] = schemaorg.script_json(schemaorg.dataset(record))
    if view.full_access and not view.tombstoned:
        context["viewer_images"] = [image.as_dict() for image in selectors.viewer_images(view=view)]
    return render(request, "publication/landing.html", context, status=status)


@require_GET
def metadata_json(request: HttpRequest, accession: str) -> HttpResponseBase:
    view = selectors.published_dataset(accession=accession, user=_viewer(request))
    document = selectors.dataset_document(view=view, base_url=request.build_absolute_uri("/"))
    if view.full_access:
        record = dataset_record(submission=view.submission)
        document["licence"] = record.licence_url
        document["citation"] = record.citation
        document["doi"] = record.doi or None
    response = JsonResponse(document, json_dumps_params={"indent": 2})
    return _open_to_web_viewers(response, view)


@require_GET
def ro_crate(request: HttpRequest, accession: str) -> HttpResponseBase:
    """The GIDE detached RO-Crate of a released dataset (404 while embargoed or withdrawn)."""
    submission = selectors.released_dataset(accession=accession)
    crate = rocrate.crate(dataset_record(submission=submission))
    response = JsonResponse(crate, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Type"] = "application/ld+json"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


# --- What a curator does to a published dataset ---------------------------------------------


def _curation_forms(view: selectors.DatasetView) -> dict[str, Form]:
    if view.tombstoned:
        return {}
    found: dict[str, Form] = {}
    if not view.released:
        found["release"] = forms_mod.ReleaseEarlyForm()
        found["extend"] = forms_mod.ExtendEmbargoForm()
    found["withdraw"] = forms_mod.WithdrawForm()
    return found


ACTIONS = {
    "release": (forms_mod.ReleaseEarlyForm, "Released: the dataset is public now."),
    "extend": (forms_mod.ExtendEmbargoForm, "The embargo is extended."),
    "withdraw": (forms_mod.WithdrawForm, "Withdrawn: the landing page is now a tombstone."),
}


@login_required
@require_POST
def curate(request: HttpRequest, accession: str, action: str) -> HttpResponse:
    """Release early, extend the embargo or withdraw; each needs a reason. Invalid input
    re-renders the page with the errors at the fields, keeping what was typed."""
    user = request.user
    assert isinstance(user, User)
    if action not in ACTIONS:
        raise NotFound("No such action.")
    view = selectors.published_dataset(accession=accession, user=user)
    if not can_curate(user=user, submission=view.submission):
        raise NotFound("No published dataset has this accession.")
    form_class, done = ACTIONS[action]
    form = form_class(request.POST)
    forms = _curation_forms(view)
    forms[action] = form  # keeps the page's order; this one shows what was typed
    if not form.is_valid():
        return _landing_page(request, accession, forms=forms, status=400)
    try:
        _run(action, submission=view.submission, user=user, data=form.cleaned_data)
    except ValidationFailed as error:
        apply_errors(form, error)
        return _landing_page(request, accession, forms=forms, status=400)
    except InvalidTransition as error:
        messages.warning(request, error.message)
        return redirect("dataset-landing", accession)
    messages.success(request, done)
    return redirect("dataset-landing", accession)


def _run(action: str, *, submission: Any, user: User, data: dict[str, Any]) -> None:
    reason = data["reason"]
    if action == "release":
        release.release_early(submission=submission, curator=user, reason=reason)
    elif action == "extend":
        release.extend_embargo(
            submission=submission, curator=user, until=data["until"], reason=reason
        )
    else:
        tombstone.tombstone(submission=submission, curator=user, reason=reason)


@login_required
@require_GET
def deposit_package(request: HttpRequest, accession: str) -> StreamingHttpResponse:
    """The BIA deposit package of a published dataset, streamed as a zip (curators only)."""
    user = request.user
    assert isinstance(user, User)
    package = deposit.build(accession=accession, user=user)
    response = StreamingHttpResponse(package.stream, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{package.filename}"'
    if package.size is not None:
        response["Content-Length"] = str(package.size)
    response["Cache-Control"] = "private, no-store"
    return response


def _serve(
    key: str, *, filename: str | None = None, range_header: str | None = None
) -> HttpResponseBase:
    archive = storage.archive()
    url = storage.download_url(storage=archive, key=key, filename=filename)
    if url is not None:
        return HttpResponseRedirect(url)  # presigned, short-lived: the bytes skip Django
    if not storage.exists(storage=archive, key=key):
        raise NotFound("This object is not in the archive.")
    content_type = mimetypes.guess_type(filename or key)[0] or "application/octet-stream"
    if range_header:
        # Sharded OME-Zarr is read by ranges: each chunk, and each shard's index at its end.
        ranged = ranged_response(
            storage.open_object(storage=archive, key=key),
            size=archive.size(key),
            header=range_header,
            content_type=content_type,
        )
        if ranged is not None:
            ranged["Cache-Control"] = "private, max-age=300"
            return ranged
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


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def zarr_object(request: HttpRequest, accession: str, file_id: str, path: str) -> HttpResponseBase:
    """Any object of a published OME-Zarr, so viewers can read it over HTTP from the portal
    (byte ranges too: a shard is read chunk by chunk)."""
    view = selectors.published_dataset(accession=accession, user=_viewer(request))
    if request.method == "OPTIONS":
        # A viewer on another origin asks before sending "Range: bytes=-N" (not a
        # CORS-safelisted value): the preflight answer allows it for released data only.
        preflight = HttpResponse(status=204)
        if view.embargoed_until is None:
            preflight["Access-Control-Allow-Methods"] = "GET, HEAD"
            preflight["Access-Control-Allow-Headers"] = "Range"
            preflight["Access-Control-Max-Age"] = "3600"
        return _open_to_web_viewers(preflight, view)
    response = _serve(
        selectors.dataset_object_key(view=view, file_id=str(file_id), kind="zarr", path=path),
        range_header=request.headers.get("Range"),
    )
    response["Accept-Ranges"] = "bytes"
    return _open_to_web_viewers(response, view)


def _open_to_web_viewers(
    response: HttpResponseBase, view: selectors.DatasetView
) -> HttpResponseBase:
    """Released data may be read by browser-based viewers (vizarr, Neuroglancer) on other
    origins; embargoed data is read with the viewer's own session only, so never shared."""
    if view.embargoed_until is None:
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "Content-Range, Content-Length, Accept-Ranges"
        response["Cache-Control"] = "public, max-age=300"
    return response


@csrf_exempt  # harvesters POST form-encoded arguments (protocol 3.1.1.2); nothing changes
@require_http_methods(["GET", "POST"])
def oai_pmh(request: HttpRequest) -> HttpResponse:
    """The OAI-PMH endpoint: every answer, errors included, is 200 with XML (protocol 3.6)."""
    data = request.POST if request.method == "POST" else request.GET
    params = {name: data.getlist(name) for name in data}
    base_url = settings.SITE_URL.rstrip("/") + reverse("oai-pmh")
    body = oai.handle(params, base_url=base_url)
    return HttpResponse(body, content_type="text/xml; charset=utf-8")
