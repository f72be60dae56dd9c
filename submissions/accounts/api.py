"""Accounts over REST: who am I, my API token, my facilities, and facility membership
(members, roles, invitations, the audit trail) for facility admins."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from submissions.accounts import selectors, serializers, services
from submissions.accounts.models import Facility, FacilityAuditEvent, Membership
from submissions.core.api import ERROR_RESPONSE, valid_data
from submissions.core.auth import user_of


def admin_facility(request: Request, slug: str) -> Facility:
    """The facility `slug` if the caller administers it; 404 for strangers, 403 for members."""
    return selectors.administered_facility(user=user_of(request), slug=slug)


class MeView(APIView):
    @extend_schema(responses=serializers.MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(serializers.MeSerializer(user_of(request)).data)


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
    serializer_class = serializers.FacilitySerializer

    def get_queryset(self) -> Any:
        return selectors.facilities_of(user=user_of(self.request))


class InvitationAcceptView(APIView):
    @extend_schema(
        request=None,
        responses={200: OpenApiTypes.OBJECT, 403: ERROR_RESPONSE, 409: ERROR_RESPONSE},
    )
    def post(self, request: Request, token: str) -> Response:
        membership = services.accept_invitation(user=user_of(request), token=token)
        return Response({"facility": membership.facility.slug, "role": membership.role})


class MembersView(generics.ListAPIView[Membership]):
    serializer_class = serializers.MemberSerializer

    def get_queryset(self) -> Any:
        facility = admin_facility(self.request, self.kwargs["slug"])
        return selectors.facility_members(facility=facility)


class MemberView(APIView):
    @extend_schema(
        request=serializers.MemberChangeSerializer, responses={200: serializers.MemberSerializer}
    )
    def patch(self, request: Request, slug: str, pk: int) -> Response:
        facility = admin_facility(request, slug)
        data = valid_data(serializers.MemberChangeSerializer, request)
        changed = services.change_member(
            admin=user_of(request),
            membership=selectors.get_membership(facility=facility, membership_id=pk),
            role=data.get("role"),
            group_id=data.get("group"),
            set_group="group" in data,
        )
        return Response(serializers.MemberSerializer(changed).data)

    @extend_schema(responses={204: None, 409: ERROR_RESPONSE})
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        facility = admin_facility(request, slug)
        member = selectors.get_membership(facility=facility, membership_id=pk)
        services.remove_member(admin=user_of(request), membership=member)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationsView(generics.ListAPIView[Any]):
    serializer_class = serializers.InvitationSerializer

    def get_queryset(self) -> Any:
        facility = admin_facility(self.request, self.kwargs["slug"])
        return selectors.pending_invitations(facility=facility)

    @extend_schema(
        request=serializers.InvitationCreateSerializer,
        responses={201: serializers.InvitationSerializer, 400: ERROR_RESPONSE},
    )
    def post(self, request: Request, slug: str) -> Response:
        facility = admin_facility(request, slug)
        data = valid_data(serializers.InvitationCreateSerializer, request)
        invitation = services.invite(
            admin=user_of(request),
            facility=facility,
            email=data["email"],
            role=data["role"],
            group_id=data.get("group"),
        )
        return Response(
            serializers.InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED
        )


class InvitationView(APIView):
    @extend_schema(responses={204: None, 409: ERROR_RESPONSE})
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        facility = admin_facility(request, slug)
        invitation = selectors.get_invitation(facility=facility, invitation_id=pk)
        services.revoke_invitation(admin=user_of(request), invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditView(generics.ListAPIView[FacilityAuditEvent]):
    serializer_class = serializers.AuditEventSerializer

    def get_queryset(self) -> Any:
        facility = admin_facility(self.request, self.kwargs["slug"])
        return selectors.audit_events(facility=facility)
