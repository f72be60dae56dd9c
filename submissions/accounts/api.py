"""Accounts over REST: who am I, my API token, my facilities, and facility membership
(members, roles, invitations, the audit trail) for facility admins."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from submissions.accounts import selectors, serializers, services, tokens
from submissions.accounts.models import ApiToken, Facility, FacilityAuditEvent, Membership
from submissions.core.api import ERROR_RESPONSE, valid_data
from submissions.core.auth import user_of
from submissions.core.errors import PermissionDenied


def admin_facility(request: Request, slug: str) -> Facility:
    """The facility `slug` if the caller administers it; 404 for strangers, 403 for members."""
    return selectors.administered_facility(user=user_of(request), slug=slug)


class MeView(APIView):
    @extend_schema(responses=serializers.MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(serializers.MeSerializer(user_of(request)).data)


class TokensView(APIView):
    """The signed-in person's API tokens (never their keys). POST makes one and answers its
    key, once; only a signed-in session may, so a token cannot extend its own life."""

    @extend_schema(responses=serializers.ApiTokenSerializer(many=True))
    def get(self, request: Request) -> Response:
        listed = tokens.listed_tokens(user=user_of(request))
        return Response(
            serializers.ApiTokenSerializer(listed, many=True, context={"request": request}).data
        )

    @extend_schema(
        request=serializers.ApiTokenCreateSerializer,
        responses={201: serializers.NewApiTokenSerializer, 403: ERROR_RESPONSE},
    )
    def post(self, request: Request) -> Response:
        user = user_of(request)
        if isinstance(request.auth, ApiToken):
            raise PermissionDenied(
                "API tokens are made while signed in to the website (Account, API tokens), "
                "not with another token."
            )
        data = valid_data(serializers.ApiTokenCreateSerializer, request)
        token, key = tokens.issue_token(user=user, name=data.get("name", ""))
        context = {"request": request, "key": key}
        body = serializers.NewApiTokenSerializer(token, context=context).data
        return Response(body, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    @extend_schema(responses={204: None, 404: ERROR_RESPONSE})
    def delete(self, request: Request, pk: int) -> Response:
        tokens.revoke_token(user=user_of(request), token_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogOutEverywhereView(APIView):
    """End every session and revoke every API token of the caller, this one included."""

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        revoked = tokens.log_out_everywhere(user=user_of(request))
        return Response({"tokens_revoked": revoked})


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


class FacilitySettingsView(APIView):
    """The facility's own rules, for its administrators."""

    @extend_schema(responses=serializers.FacilitySettingsSerializer)
    def get(self, request: Request, slug: str) -> Response:
        facility = admin_facility(request, slug)
        return Response(serializers.FacilitySettingsSerializer(facility).data)

    @extend_schema(
        request=serializers.FacilitySettingsSerializer,
        responses={200: serializers.FacilitySettingsSerializer, 400: ERROR_RESPONSE},
    )
    def patch(self, request: Request, slug: str) -> Response:
        facility = admin_facility(request, slug)
        data = valid_data(serializers.FacilitySettingsSerializer, request)
        changed = services.update_facility_settings(
            admin=user_of(request), facility=facility, changes=data
        )
        return Response(serializers.FacilitySettingsSerializer(changed).data)


class AuditView(generics.ListAPIView[FacilityAuditEvent]):
    serializer_class = serializers.AuditEventSerializer

    def get_queryset(self) -> Any:
        facility = admin_facility(self.request, self.kwargs["slug"])
        return selectors.audit_events(facility=facility)
