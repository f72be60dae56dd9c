"""Submissions over REST, for their researchers: drafts (create, read, update, delete), submit
and withdraw, the timeline, what still stops submitting, and the exports. Curators' actions
(claim, assign, start-review, approve, reject, request-changes, comment) are under
/api/v1/review/ (submissions.review.api)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from submissions.accounts import selectors as accounts_selectors
from submissions.core.auth import user_of
from submissions.core.errors import NotFound
from submissions.lifecycle import selectors, services
from submissions.lifecycle.models import Submission
from submissions.lifecycle.serializers import (
    EventSerializer,
    NoteSerializer,
    SubmissionCreateSerializer,
    SubmissionSerializer,
)
from submissions.rembi import services as rembi
from submissions.review import services as review
from submissions.uploads.services import drafts

METADATA_HELP = (
    "The REMBI description; its JSON Schema is at /api/v1/rembi/schema/. A write replaces the "
    "whole document. Errors name fields by dotted path, e.g. study.authors.2.orcid."
)


class SubmissionWriteSerializer(serializers.Serializer[Submission]):
    title = serializers.CharField(required=False, max_length=300)
    metadata = serializers.JSONField(required=False, help_text=METADATA_HELP)


class SubmissionCreateWithMetadataSerializer(SubmissionCreateSerializer):
    metadata = serializers.JSONField(required=False, help_text=METADATA_HELP)


class ProblemsSerializer(serializers.Serializer[None]):
    ready = serializers.BooleanField()
    problems = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class FileListSerializer(serializers.Serializer[None]):
    index = serializers.IntegerField()
    name = serializers.CharField()
    component = serializers.CharField()
    files = serializers.IntegerField()


class SubmissionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet[Submission]
):
    serializer_class = SubmissionSerializer
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> Any:
        submissions = selectors.submissions_visible_to(user=user_of(self.request))
        wanted = self.request.query_params.get("status")
        return submissions.filter(status=wanted) if wanted else submissions

    def get_object(self) -> Submission:
        return selectors.get_submission(user=user_of(self.request), submission_id=self.kwargs["pk"])

    def _respond(self, submission: Submission, code: int = status.HTTP_200_OK) -> Response:
        return Response(SubmissionSerializer(submission).data, status=code)

    @extend_schema(
        parameters=[OpenApiParameter("status", str, description="Only submissions in this state")]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=SubmissionCreateWithMetadataSerializer, responses={201: SubmissionSerializer}
    )
    def create(self, request: Request) -> Response:
        data = SubmissionCreateWithMetadataSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_of(request)
        facility = (
            accounts_selectors.facilities_of(user=user)
            .filter(slug=data.validated_data["facility"])
            .first()
        )
        if facility is None:
            raise NotFound("No such facility.")
        submission = services.create_submission(
            user=user,
            facility=facility,
            title=data.validated_data["title"],
            metadata=data.validated_data.get("metadata"),
        )
        return self._respond(submission, status.HTTP_201_CREATED)

    def _update(self, request: Request, *, partial: bool) -> Response:
        submission = self.get_object()  # someone else's: 404 before any word about the body
        data = SubmissionWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        if not partial and "metadata" not in data.validated_data:
            raise serializers.ValidationError({"metadata": ["Send the whole REMBI document."]})
        submission = services.update_submission(
            submission=submission,
            user=user_of(request),
            metadata=data.validated_data.get("metadata"),
            title=data.validated_data.get("title"),
        )
        return self._respond(submission)

    @extend_schema(request=SubmissionWriteSerializer, responses=SubmissionSerializer)
    def update(self, request: Request, pk: str) -> Response:
        return self._update(request, partial=False)

    @extend_schema(request=SubmissionWriteSerializer, responses=SubmissionSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        return self._update(request, partial=True)

    @extend_schema(
        summary="Delete a draft with its files (their bytes and quota are freed)",
        responses={204: None},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        drafts.delete_draft(submission=self.get_object(), user=user_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=EventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: str) -> Response:
        events = selectors.submission_timeline(submission=self.get_object())
        return Response(EventSerializer(events, many=True).data)

    @extend_schema(responses=ProblemsSerializer)
    @action(detail=True, methods=["get"])
    def problems(self, request: Request, pk: str) -> Response:
        problems = services.submission_problems(submission=self.get_object())
        return Response({"ready": not problems, "problems": problems})

    @extend_schema(request=NoteSerializer, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        target = self.get_object()
        note = NoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        submission = review.submit(
            submission=target, user=user_of(request), note=note.validated_data["note"]
        )
        return self._respond(submission)

    @extend_schema(request=NoteSerializer, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        target = self.get_object()
        note = NoteSerializer(data=request.data)
        note.is_valid(raise_exception=True)
        submission = services.withdraw(
            submission=target, user=user_of(request), note=note.validated_data["note"]
        )
        return self._respond(submission)

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, description="REMBI JSON export.")
    @action(detail=True, methods=["get"])
    def rembi(self, request: Request, pk: str) -> Response:
        schema_url = request.build_absolute_uri("/api/v1/rembi/schema/")
        return Response(rembi.rembi_document(self.get_object(), schema_url=schema_url))

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, description="PageTab JSON (BioImages.v4).")
    @action(detail=True, methods=["get"])
    def pagetab(self, request: Request, pk: str) -> Response:
        return Response(rembi.pagetab(self.get_object()))

    @extend_schema(responses=FileListSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="file-lists")
    def file_lists(self, request: Request, pk: str) -> Response:
        lists = rembi.file_lists(self.get_object())
        return Response(
            [
                {
                    "index": fl.index,
                    "name": fl.name,
                    "component": fl.component,
                    "files": len(fl.files),
                }
                for fl in lists
            ]
        )

    @extend_schema(
        responses={(200, "text/tab-separated-values"): OpenApiResponse(OpenApiTypes.STR)},
        description="One study component's File List; the first column is `Files`.",
    )
    @action(detail=True, methods=["get"], url_path=r"file-lists/(?P<index>\d+)")
    def file_list(self, request: Request, pk: str, index: str) -> HttpResponse:
        lists = rembi.file_lists(self.get_object())
        number = int(index)
        if not 1 <= number <= len(lists):
            raise NotFound("No such file list.")
        chosen = lists[number - 1]
        response = HttpResponse(
            rembi.file_list_tsv(chosen), content_type="text/tab-separated-values; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{chosen.name}"'
        return response
