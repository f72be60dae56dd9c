"""The public datasets API (/api/v1/datasets/): released datasets only, readable without
signing in, searchable, cursor-paginated. And a curator's actions on a published dataset
(release early, extend the embargo, withdraw, build the BIA deposit package)."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from submissions.accounts.models import Facility
from submissions.core.auth import user_of
from submissions.core.errors import NotFound, ValidationFailed
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.publication import selectors
from submissions.publication.formats.record import dataset_record
from submissions.publication.serializers import (
    DatasetDetailSerializer,
    DatasetQuerySerializer,
    DatasetSerializer,
    ExtendEmbargoSerializer,
    FacilityPublicationSettingsSerializer,
    ReasonSerializer,
)
from submissions.publication.services import deposit, release, tombstone
from submissions.publication.services import facility as facility_settings


def _terms(value: str) -> str:
    return "|" + " ".join(value.split()).lower() + "|"


class DatasetCursor(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-released_at", "-id")  # released_at is annotated from the publication


class DatasetList(APIView):
    """Released datasets, newest release first. Embargoed and withdrawn ones never appear."""

    permission_classes = [AllowAny]
    pagination_class = DatasetCursor

    @extend_schema(parameters=[DatasetQuerySerializer], responses=DatasetSerializer(many=True))
    def get(self, request: Request) -> Response:
        query = DatasetQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ValidationFailed("Some search arguments are not valid.", fields=query.errors)
        found = _search(selectors.public_datasets(), query.validated_data).annotate(
            released_at=F("publication__released_at")
        )
        paginator = self.pagination_class()
        page: list[Submission] = paginator.paginate_queryset(found, request, view=self) or []
        records = [dataset_record(submission=submission) for submission in page]
        serializer = DatasetSerializer(records, many=True)  # type: ignore[arg-type]
        return paginator.get_paginated_response(serializer.data)


def _search(found: Any, terms: dict[str, Any]) -> Any:
    if terms.get("q"):
        for word in terms["q"].split()[:10]:
            found = found.filter(title__icontains=word)
    if terms.get("keyword"):
        found = found.filter(publication__index_keywords__contains=_terms(terms["keyword"]))
    if terms.get("organism"):
        found = found.filter(publication__index_taxa__contains=_terms(terms["organism"]))
    if terms.get("imaging_method"):
        found = found.filter(publication__index_methods__contains=_terms(terms["imaging_method"]))
    if terms.get("facility"):
        found = found.filter(facility__slug=terms["facility"])
    if terms.get("released_after"):
        found = found.filter(publication__released_at__date__gte=terms["released_after"])
    if terms.get("released_before"):
        found = found.filter(publication__released_at__date__lte=terms["released_before"])
    return found


class DatasetDetail(APIView):
    """One released dataset with its files, OME-Zarr URLs and credits (404 otherwise)."""

    permission_classes = [AllowAny]

    @extend_schema(responses=DatasetDetailSerializer)
    def get(self, request: Request, accession: str) -> Response:
        submission = selectors.released_dataset(accession=accession)
        return Response(DatasetDetailSerializer(dataset_record(submission=submission)).data)


def _curated(request: Request, accession: str) -> tuple[Any, Submission]:
    """The published dataset, for a curator of its facility; 404 for anyone else."""
    user = user_of(request)
    view = selectors.published_dataset(accession=accession, user=user)
    from submissions.accounts.permissions import can_curate

    if view.tombstoned or not can_curate(user=user, submission=view.submission):
        raise NotFound("No published dataset has this accession.")
    return user, view.submission


class ReleaseEarly(APIView):
    """End the embargo today (curators of the facility), with a reason."""

    @extend_schema(request=ReasonSerializer, responses=DatasetDetailSerializer)
    def post(self, request: Request, accession: str) -> Response:
        user, submission = _curated(request, accession)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        release.release_early(
            submission=submission, curator=user, reason=body.validated_data["reason"]
        )
        return Response(DatasetDetailSerializer(dataset_record(submission=submission)).data)


class ExtendEmbargo(APIView):
    """Move the release date of a dataset under embargo later (curators), with a reason."""

    @extend_schema(request=ExtendEmbargoSerializer, responses={204: None})
    def post(self, request: Request, accession: str) -> Response:
        user, submission = _curated(request, accession)
        body = ExtendEmbargoSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        release.extend_embargo(
            submission=submission,
            curator=user,
            until=body.validated_data["until"],
            reason=body.validated_data["reason"],
        )
        return Response(status=204)


class Withdraw(APIView):
    """Withdraw a published dataset: its page, DOI and OAI-PMH record become a tombstone."""

    @extend_schema(request=ReasonSerializer, responses={204: None})
    def post(self, request: Request, accession: str) -> Response:
        user, submission = _curated(request, accession)
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tombstone.tombstone(
            submission=submission, curator=user, reason=body.validated_data["reason"]
        )
        return Response(status=204)


class DepositPackage(APIView):
    """The BioImage Archive deposit package (zip, streamed), for the facility's curators."""

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY, description="README, PageTab, File Lists, manifest, files"
            )
        }
    )
    def get(self, request: Request, accession: str) -> StreamingHttpResponse:
        user = user_of(request)
        if not Submission.objects.filter(
            accession=accession, status=SubmissionStatus.PUBLISHED
        ).exists():
            raise NotFound("No published dataset has this accession.")
        package = deposit.build(accession=accession, user=user)
        response = StreamingHttpResponse(package.stream, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{package.filename}"'
        if package.size is not None:
            response["Content-Length"] = str(package.size)
        return response


class FacilityPublicationSettings(APIView):
    """A facility's ROR id and whether its embargoed datasets show their titles (admins)."""

    @extend_schema(
        request=FacilityPublicationSettingsSerializer,
        responses=FacilityPublicationSettingsSerializer,
    )
    def patch(self, request: Request, slug: str) -> Response:
        user = user_of(request)
        facility = Facility.objects.filter(slug=slug).first()
        if facility is None:
            raise NotFound("No such facility.")
        body = FacilityPublicationSettingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = facility_settings.update_settings(
            admin=user,
            facility=facility,
            ror=body.validated_data.get("ror"),
            show_embargoed_titles=body.validated_data.get("show_embargoed_titles"),
        )
        return Response(
            {"ror": updated.ror, "show_embargoed_titles": updated.show_embargoed_titles}
        )
