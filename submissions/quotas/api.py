"""Quota API: the admission check, a person's usage and requests, facility administration."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from submissions.accounts import selectors as accounts_selectors
from submissions.accounts.api import admin_facility
from submissions.core.api import ERROR_RESPONSE, valid_data
from submissions.core.auth import user_of
from submissions.core.http import csv_attachment
from submissions.quotas import selectors, serializers
from submissions.quotas.services import (
    admin as quota_admin,
)
from submissions.quotas.services import chargeback
from submissions.quotas.services import (
    limits as quota_limits,
)
from submissions.quotas.services import (
    reports as usage_reports,
)


class AdmissionCheckView(APIView):
    """Would these files fit? Call before sending any byte; nothing is reserved."""

    @extend_schema(
        request=serializers.AdmissionRequestSerializer,
        responses={
            200: serializers.AdmissionSerializer,
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
            409: ERROR_RESPONSE,
        },
        summary="Check a manifest against every quota that applies",
    )
    def post(self, request: Request) -> Response:
        data = valid_data(serializers.AdmissionRequestSerializer, request)
        facility = accounts_selectors.member_facility(user=user_of(request), slug=data["facility"])
        admission = quota_limits.check_admission(
            user=user_of(request), facility=facility, files=data["files"], area=data["area"]
        )
        levels = [selectors.level_of(account) for account in admission.accounts]
        tightest = selectors.binding_level(levels)
        return Response(
            {
                "ok": True,
                "facility": facility.slug,
                "area": data["area"],
                "file_count": admission.file_count,
                "total_bytes": admission.total_bytes,
                "remaining_bytes": tightest.remaining_bytes if tightest else None,
                "warnings": admission.warnings,
                "levels": [level.as_dict() for level in levels],
            }
        )


class MyUsageView(APIView):
    @extend_schema(
        responses=serializers.FacilityUsageSerializer(many=True), summary="My usage and limits"
    )
    def get(self, request: Request) -> Response:
        usage = selectors.usage_of(user=user_of(request))
        return Response(serializers.FacilityUsageSerializer(usage, many=True).data)


class MyRequestsView(generics.ListAPIView[Any]):
    serializer_class = serializers.QuotaRequestSerializer

    def get_queryset(self) -> Any:
        return selectors.requests_of(user=user_of(self.request))

    @extend_schema(
        request=serializers.QuotaRequestCreateSerializer,
        responses={
            201: serializers.QuotaRequestSerializer,
            400: ERROR_RESPONSE,
            409: ERROR_RESPONSE,
        },
        summary="Ask for a larger quota",
    )
    def post(self, request: Request) -> Response:
        data = valid_data(serializers.QuotaRequestCreateSerializer, request)
        facility = accounts_selectors.member_facility(
            user=user_of(request), slug=data.pop("facility")
        )
        created = quota_admin.request_increase(user=user_of(request), facility=facility, **data)
        return Response(
            serializers.QuotaRequestSerializer(created).data, status=status.HTTP_201_CREATED
        )


class MyRequestWithdrawView(APIView):
    @extend_schema(
        request=None, responses={200: serializers.QuotaRequestSerializer, 409: ERROR_RESPONSE}
    )
    def post(self, request: Request, pk: int) -> Response:
        own = selectors.get_own_request(user=user_of(request), request_id=pk)
        withdrawn = quota_admin.withdraw_request(user=user_of(request), request=own)
        return Response(serializers.QuotaRequestSerializer(withdrawn).data)


# --- Facility administration (admins of that facility only; others get 404/403) -------------


class QuotasView(generics.ListAPIView[Any]):
    serializer_class = serializers.AccountSerializer

    def get_queryset(self) -> Any:
        return selectors.facility_accounts(
            facility=admin_facility(self.request, self.kwargs["slug"])
        )

    @extend_schema(
        request=serializers.SetLimitsSerializer,
        responses={200: serializers.AccountSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        summary="Set the soft and hard limit of the facility, a group or a member",
    )
    def put(self, request: Request, slug: str) -> Response:
        facility = admin_facility(request, slug)
        data = valid_data(serializers.SetLimitsSerializer, request)
        account = quota_admin.account_for(
            facility=facility,
            scope=data["scope"],
            area=data["area"],
            group_id=data.get("group"),
            user_id=data.get("user"),
        )
        account = quota_admin.set_limits(
            admin=user_of(request),
            account=account,
            soft_limit=data["soft_limit"],
            hard_limit=data["hard_limit"],
        )
        return Response(serializers.AccountSerializer(account).data)


class DashboardView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("area", str, enum=["all", "staging", "archive"]),
            OpenApiParameter("days", int, description="history shown, 7 to 730 (default 90)"),
        ],
        responses=serializers.DashboardSerializer,
        summary="Usage over time, largest submissions, growth and projections",
    )
    def get(self, request: Request, slug: str) -> Response:
        facility = admin_facility(request, slug)
        try:
            days = int(request.query_params.get("days", 90))
        except ValueError:
            days = 90
        area = request.query_params.get("area", "all")
        data = usage_reports.dashboard(facility=facility, area=area, days=days)
        return Response(serializers.DashboardSerializer(data).data)


class ChargebackView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, required=True, description="first month, YYYY-MM"),
            OpenApiParameter("to", str, required=True, description="last month, YYYY-MM"),
        ],
        responses={(200, "text/csv"): OpenApiTypes.STR, 400: ERROR_RESPONSE},
        summary="Usage per group per month as CSV, for charge-back",
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        facility = admin_facility(request, slug)
        name, body = chargeback.chargeback_download(
            facility=facility,
            first_month=request.query_params.get("from", ""),
            last_month=request.query_params.get("to", ""),
        )
        return csv_attachment(name, body)


class FacilityRequestsView(generics.ListAPIView[Any]):
    serializer_class = serializers.QuotaRequestSerializer

    @extend_schema(parameters=[OpenApiParameter("status", str)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        facility = admin_facility(self.request, self.kwargs["slug"])
        return selectors.quota_requests(facility=facility, status=self.request.GET.get("status"))


class DecideRequestView(APIView):
    approve = True

    @extend_schema(
        request=serializers.DecisionSerializer, responses={200: serializers.QuotaRequestSerializer}
    )
    def post(self, request: Request, slug: str, pk: int) -> Response:
        facility = admin_facility(request, slug)
        data = valid_data(serializers.DecisionSerializer, request)
        decided = quota_admin.decide_request(
            admin=user_of(request),
            request=selectors.get_quota_request(facility=facility, request_id=pk),
            approve=self.approve,
            note=data["note"],
        )
        return Response(serializers.QuotaRequestSerializer(decided).data)


class DenyRequestView(DecideRequestView):
    approve = False
