"""API of processing progress and retry: /api/v1/submissions/<id>/processing/."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from submissions.core.auth import user_of
from submissions.lifecycle import selectors as lifecycle_selectors
from submissions.processing import selectors
from submissions.processing.models import ConversionJob
from submissions.processing.services import retry_processing
from submissions.publication.models import Publication


class ConversionJobSerializer(serializers.ModelSerializer[ConversionJob]):
    file = serializers.UUIDField(source="data_file_id")
    file_name = serializers.CharField(source="data_file.name")

    class Meta:
        model = ConversionJob
        fields = [
            "id",
            "file",
            "file_name",
            "state",
            "stage",
            "progress",
            "attempts",
            "heartbeat_at",
            "started_at",
            "finished_at",
            "error_kind",
            "error_code",
            "error_message",
            "output_bytes",
            "object_count",
            "provenance",
        ]


class PublicationSerializer(serializers.ModelSerializer[Publication]):
    class Meta:
        model = Publication
        fields = ["accession", "state", "attempts", "marker_written_at", "error_message"]


class ProcessingSerializer(serializers.Serializer[Any]):
    status = serializers.CharField(source="submission.status")
    accession = serializers.CharField(source="submission.accession", allow_null=True)
    overall = serializers.FloatField()
    can_retry = serializers.BooleanField()
    jobs = ConversionJobSerializer(many=True)
    publication = PublicationSerializer(allow_null=True)


class ProcessingView(APIView):
    @extend_schema(responses=ProcessingSerializer)
    def get(self, request: Request, submission_id: str) -> Response:
        user = user_of(request)
        submission = lifecycle_selectors.get_submission(user=user, submission_id=submission_id)
        view = selectors.processing_view(submission=submission, user=user)
        return Response(ProcessingSerializer(view).data)


class RetryView(APIView):
    @extend_schema(request=None, responses=ProcessingSerializer)
    def post(self, request: Request, submission_id: str) -> Response:
        user = user_of(request)
        submission = lifecycle_selectors.get_submission(user=user, submission_id=submission_id)
        submission = retry_processing(submission=submission, user=user)
        view = selectors.processing_view(submission=submission, user=user)
        return Response(ProcessingSerializer(view).data)
