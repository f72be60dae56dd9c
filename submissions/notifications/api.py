"""Mail settings over REST: which kinds of e-mail you get, and every kind there is."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from submissions.core.auth import user_of
from submissions.notifications import services
from submissions.notifications.models import MUTABLE_KINDS
from submissions.notifications.serializers import PreferencesSerializer


class PreferencesView(APIView):
    """Which kinds of e-mail you get. `muted` lists the kinds you do not want."""

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request: Request) -> Response:
        return Response({"muted": sorted(services.muted_kinds(user=user_of(request)))})

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def put(self, request: Request) -> Response:
        data = PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = services.set_muted_kinds(user=user_of(request), muted=data.validated_data["muted"])
        return Response({"muted": saved.muted})


class KindsView(APIView):
    """Every kind of e-mail you can turn off, with its description."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response({kind.value: kind.label for kind in MUTABLE_KINDS})
