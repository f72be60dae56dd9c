from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from submissions import selectors
from submissions.api.serializers import (
    FacilitySerializer,
    MeSerializer,
)
from submissions.auth import user_of
from submissions.models import Facility


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(user_of(request)).data)


class TokenView(APIView):
    """The API token of the signed-in user, for the CLI. POST makes a new one."""

    @extend_schema(request=None, responses={200: {"type": "object"}})
    def get(self, request: Request) -> Response:
        token, _ = Token.objects.get_or_create(user=user_of(request))
        return Response({"token": token.key})

    @extend_schema(request=None, responses={201: {"type": "object"}})
    def post(self, request: Request) -> Response:
        Token.objects.filter(user=user_of(request)).delete()
        token = Token.objects.create(user=user_of(request))
        return Response({"token": token.key}, status=status.HTTP_201_CREATED)


class FacilityListView(generics.ListAPIView[Facility]):
    serializer_class = FacilitySerializer

    def get_queryset(self) -> Any:
        return selectors.facilities_of(user=user_of(self.request))


# The submission endpoints live in submissions.api.submissions; kept importable from here.
from submissions.api.submissions import SubmissionViewSet  # noqa: E402

__all__ = ["FacilityListView", "MeView", "SubmissionViewSet", "TokenView"]
