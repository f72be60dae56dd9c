"""Quota API: the admission check, a person's usage and requests, facility administration."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from submissions import selectors_quota as sq
from submissions.api import quota_serializers as s
from submissions.auth import user_of
from submissions.models import Facility, FacilityAuditEvent, Membership
from submissions.services import facility_admin, quota_admin, quota_limits, usage_reports

ERROR = OpenApiResponse(description="`{code, message, fields}`")


def _valid(serializer_class: type[Any], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _admin_facility(request: Request, slug: str) -> Facility:
    return sq.administered_facility(user=user_of(request), slug=slug)


class AdmissionCheckView(APIView):
    """Would these files fit? Call before sending any byte; nothing is reserved."""

    @extend_schema(
        request=s.AdmissionRequestSerializer,
        responses={200: s.AdmissionSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
        summary="Check a manifest against every quota that applies",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.AdmissionRequestSerializer, request)
        facility = sq.member_facility(user=user_of(request), slug=data["facility"])
        admission = quota_limits.check_admission(
            user=user_of(request), facility=facility, files=data["files"], area=data["area"]
        )
        levels = [sq.level_of(account) for account in admission.accounts]
        tightest = sq.binding_level(levels)
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
    @extend_schema(responses=s.FacilityUsageSerializer(many=True), summary="My usage and limits")
    def get(self, request: Request) -> Response:
        usage = sq.usage_of(user=user_of(request))
        return Response(s.FacilityUsageSerializer(usage, many=True).data)


class MyRequestsView(generics.ListAPIView[Any]):
    serializer_class = s.QuotaRequestSerializer

    def get_queryset(self) -> Any:
        return sq.requests_of(user=user_of(self.request))

    @extend_schema(
        request=s.QuotaRequestCreateSerializer,
        responses={201: s.QuotaRequestSerializer, 400: ERROR, 409: ERROR},
        summary="Ask for a larger quota",
    )
    def post(self, request: Request) -> Response:
        data = _valid(s.QuotaRequestCreateSerializer, request)
        facility = sq.member_facility(user=user_of(request), slug=data.pop("facility"))
        created = quota_admin.request_increase(user=user_of(request), facility=facility, **data)
        return Response(s.QuotaRequestSerializer(created).data, status=status.HTTP_201_CREATED)


class MyRequestWithdrawView(APIView):
    @extend_schema(request=None, responses={200: s.QuotaRequestSerializer, 409: ERROR})
    def post(self, request: Request, pk: int) -> Response:
        own = sq.get_own_request(user=user_of(request), request_id=pk)
        withdrawn = quota_admin.withdraw_request(user=user_of(request), request=own)
        return Response(s.QuotaRequestSerializer(withdrawn).data)


class InvitationAcceptView(APIView):
    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT, 403: ERROR, 409: ERROR})
    def post(self, request: Request, token: str) -> Response:
        membership = facility_admin.accept_invitation(user=user_of(request), token=token)
        return Response({"facility": membership.facility.slug, "role": membership.role})


# --- Facility administration (admins of that facility only; others get 404/403) -------------


class MembersView(generics.ListAPIView[Membership]):
    serializer_class = s.MemberSerializer

    def get_queryset(self) -> Any:
        return sq.facility_members(facility=_admin_facility(self.request, self.kwargs["slug"]))


class MemberView(APIView):
    @extend_schema(request=s.MemberChangeSerializer, responses={200: s.MemberSerializer})
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        facility = _admin_facility(request, slug)
        data = _valid(s.MemberChangeSerializer, request)
        changed = facility_admin.change_member(
            admin=user_of(request),
            membership=sq.get_membership(facility=facility, membership_id=pk),
            role=data.get("role"),
            group_id=data.get("group"),
            set_group="group" in data,
        )
        return Response(s.MemberSerializer(changed).data)

    @extend_schema(responses={204: None, 409: ERROR})
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        facility = _admin_facility(request, slug)
        member = sq.get_membership(facility=facility, membership_id=pk)
        facility_admin.remove_member(admin=user_of(request), membership=member)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationsView(generics.ListAPIView[Any]):
    serializer_class = s.InvitationSerializer

    def get_queryset(self) -> Any:
        return sq.pending_invitations(facility=_admin_facility(self.request, self.kwargs["slug"]))

    @extend_schema(
        request=s.InvitationCreateSerializer, responses={201: s.InvitationSerializer, 400: ERROR}
    )
    def post(self, request: Request, slug: str) -> Response:
        facility = _admin_facility(request, slug)
        data = _valid(s.InvitationCreateSerializer, request)
        invitation = facility_admin.invite(
            admin=user_of(request),
            facility=facility,
            email=data["email"],
            role=data["role"],
            group_id=data.get("group"),
        )
        return Response(s.InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationView(APIView):
    @extend_schema(responses={204: None, 409: ERROR})
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        facility = _admin_facility(request, slug)
        invitation = sq.get_invitation(facility=facility, invitation_id=pk)
        facility_admin.revoke_invitation(admin=user_of(request), invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class QuotasView(generics.ListAPIView[Any]):
    serializer_class = s.AccountSerializer

    def get_queryset(self) -> Any:
        return sq.facility_accounts(facility=_admin_facility(self.request, self.kwargs["slug"]))

    @extend_schema(
        request=s.SetLimitsSerializer,
        responses={200: s.AccountSerializer, 400: ERROR, 404: ERROR},
        summary="Set the soft and hard limit of the facility, a group or a member",
    )
    def put(self, request: Request, slug: str) -> Response:
        facility = _admin_facility(request, slug)
        data = _valid(s.SetLimitsSerializer, request)
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
        return Response(s.AccountSerializer(account).data)


class DashboardView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("area", str, enum=["all", "staging", "archive"]),
            OpenApiParameter("days", int, description="history shown, 7 to 730 (default 90)"),
        ],
        responses=s.DashboardSerializer,
        summary="Usage over time, largest submissions, growth and projections",
    )
    def get(self, request: Request, slug: str) -> Response:
        facility = _admin_facility(request, slug)
        try:
            days = int(request.query_params.get("days", 90))
        except ValueError:
            days = 90
        area = request.query_params.get("area", "all")
        data = usage_reports.dashboard(facility=facility, area=area, days=days)
        return Response(s.DashboardSerializer(data).data)


class ChargebackView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, required=True, description="first month, YYYY-MM"),
            OpenApiParameter("to", str, required=True, description="last month, YYYY-MM"),
        ],
        responses={(200, "text/csv"): OpenApiTypes.STR, 400: ERROR},
        summary="Usage per group per month as CSV, for charge-back",
    )
    def get(self, request: Request, slug: str) -> HttpResponse:
        facility = _admin_facility(request, slug)
        first = usage_reports.parse_month(request.query_params.get("from", ""), field="from")
        last = usage_reports.parse_month(request.query_params.get("to", ""), field="to")
        body = usage_reports.chargeback_csv(facility=facility, first=first, last=last)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        name = f"{facility.slug}-usage-{first:%Y-%m}-{last:%Y-%m}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class FacilityRequestsView(generics.ListAPIView[Any]):
    serializer_class = s.QuotaRequestSerializer

    @extend_schema(parameters=[OpenApiParameter("status", str)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        facility = _admin_facility(self.request, self.kwargs["slug"])
        return sq.quota_requests(facility=facility, status=self.request.GET.get("status"))


class DecideRequestView(APIView):
    approve = True

    @extend_schema(request=s.DecisionSerializer, responses={200: s.QuotaRequestSerializer})
    def post(self, request: Request, slug: str, pk: int) -> Response:
        facility = _admin_facility(request, slug)
        data = _valid(s.DecisionSerializer, request)
        decided = quota_admin.decide_request(
            admin=user_of(request),
            request=sq.get_quota_request(facility=facility, request_id=pk),
            approve=self.approve,
            note=data["note"],
        )
        return Response(s.QuotaRequestSerializer(decided).data)


class DenyRequestView(DecideRequestView):
    approve = False


class AuditView(generics.ListAPIView[FacilityAuditEvent]):
    serializer_class = s.AuditEventSerializer

    def get_queryset(self) -> Any:
        return sq.audit_events(facility=_admin_facility(self.request, self.kwargs["slug"]))
