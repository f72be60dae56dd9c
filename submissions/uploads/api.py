"""The upload protocol over HTTP. Each view parses, calls one service and renders."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from submissions.core.auth import user_of
from submissions.lifecycle import selectors as lifecycle_selectors
from submissions.uploads import selectors, services
from submissions.uploads.models import FileStatus
from submissions.uploads.serializers import (
    PartSerializer,
    PartSignSerializer,
    PartsSignSerializer,
    PartTargetSerializer,
    UploadCompleteSerializer,
    UploadCreateSerializer,
    UploadSerializer,
)


class UploadListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("submission", str, required=False)],
        responses=UploadSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        user = user_of(request)
        submission_id = request.query_params.get("submission")
        submission = (
            lifecycle_selectors.get_submission(user=user, submission_id=submission_id)
            if submission_id
            else None
        )
        files = selectors.uploads_of(user=user, submission=submission)
        return Response(UploadSerializer(files, many=True).data)

    @extend_schema(request=UploadCreateSerializer, responses={201: UploadSerializer})
    def post(self, request: Request) -> Response:
        data = UploadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_of(request)
        fields = dict(data.validated_data)
        submission = lifecycle_selectors.get_submission(
            user=user, submission_id=fields.pop("submission")
        )
        started = services.create_upload(user=user, submission=submission, **fields)
        body = {**UploadSerializer(started.datafile).data, "resumed": started.resumed}
        return Response(body, status=status.HTTP_200_OK if started.resumed else 201)


class UploadDetailView(APIView):
    @extend_schema(responses=UploadSerializer)
    def get(self, request: Request, pk: str) -> Response:
        datafile = selectors.get_upload(user=user_of(request), upload_id=pk)
        return Response(UploadSerializer(datafile).data)

    @extend_schema(
        request=None,
        responses={200: UploadSerializer, 204: None},
        description=(
            "An upload in progress is aborted (200, the aborted upload); a finished or failed "
            "file is removed from its draft with its bytes and quota freed (204)."
        ),
    )
    def delete(self, request: Request, pk: str) -> Response:
        user = user_of(request)
        datafile = selectors.get_upload(user=user, upload_id=pk)
        if datafile.status == FileStatus.UPLOADING:
            aborted = services.abort_upload(datafile=datafile, user=user)
            return Response(UploadSerializer(aborted).data)
        services.remove_file(datafile=datafile, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UploadAbortView(APIView):
    @extend_schema(request=None, responses=UploadSerializer)
    def post(self, request: Request, pk: str) -> Response:
        user = user_of(request)
        datafile = selectors.get_upload(user=user, upload_id=pk)
        return Response(UploadSerializer(services.abort_upload(datafile=datafile, user=user)).data)


class UploadCompleteView(APIView):
    @extend_schema(
        request=UploadCompleteSerializer,
        responses=UploadSerializer,
        description=(
            "Finish an upload once every part has arrived. The body may declare the whole "
            'file\'s SHA-256 (`{"sha256": "<64 lowercase hex>"}`), computed by the client '
            "while it read the file; verification then refuses stored bytes that differ "
            "(`failure_code` `checksum_mismatch`: upload the file again). An empty body is "
            "accepted. A repeated completion returns the file unchanged."
        ),
    )
    def post(self, request: Request, pk: str) -> Response:
        data = UploadCompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_of(request)
        datafile = selectors.get_upload(user=user, upload_id=pk)
        done = services.complete_upload(
            datafile=datafile, user=user, sha256=data.validated_data["sha256"]
        )
        done.refresh_from_db()  # verification may already have run (eager Celery)
        return Response(UploadSerializer(done).data)


class PartListView(APIView):
    @extend_schema(responses=PartSerializer(many=True))
    def get(self, request: Request, pk: str) -> Response:
        datafile = selectors.get_upload(user=user_of(request), upload_id=pk)
        parts = services.list_parts(datafile=datafile)
        return Response(PartSerializer([p.__dict__ for p in parts], many=True).data)


class PartSignView(APIView):
    @extend_schema(request=PartSignSerializer, responses=PartTargetSerializer)
    def post(self, request: Request, pk: str, number: int) -> Response:
        data = PartSignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        datafile = selectors.get_upload(user=user_of(request), upload_id=pk)
        target = services.sign_part(
            datafile=datafile, number=number, checksum=data.validated_data["checksum"]
        )
        body: dict[str, Any] = {**target.__dict__, "url": request.build_absolute_uri(target.url)}
        return Response(PartTargetSerializer(body).data)


class PartsSignView(APIView):
    @extend_schema(
        request=PartsSignSerializer,
        responses=PartTargetSerializer(many=True),
        description=(
            "Sign up to 100 parts in one request, each for its checksum, as "
            "`POST …/parts/<number>/` does for one: the targets come back in the order "
            "asked, each with its `number`. All or none: a part that cannot be signed "
            "(already accepted with other bytes, out of range, a malformed checksum) "
            "refuses the whole request with that part's reason."
        ),
    )
    def post(self, request: Request, pk: str) -> Response:
        data = PartsSignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        datafile = selectors.get_upload(user=user_of(request), upload_id=pk)
        wanted = [(p["number"], p["checksum"]) for p in data.validated_data["parts"]]
        targets = services.sign_parts(datafile=datafile, parts=wanted)
        body = [
            {**target.__dict__, "number": number, "url": request.build_absolute_uri(target.url)}
            for (number, _), target in zip(wanted, targets, strict=True)
        ]
        return Response(PartTargetSerializer(body, many=True).data)


class ReceiptView(APIView):
    """The fixity receipt, for whoever may see the submission (its curators too)."""

    @extend_schema(responses={200: {"type": "object"}})
    def get(self, request: Request, pk: str) -> HttpResponse:
        datafile = selectors.get_visible_file(user=user_of(request), file_id=pk)
        receipt = services.fixity_receipt(datafile=datafile)
        response = HttpResponse(
            json.dumps(receipt, indent=2) + "\n", content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="receipt-{datafile.pk}.json"'
        return response
