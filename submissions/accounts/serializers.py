"""Serializers of accounts and membership. A person appears the same way everywhere in the
API: `PersonSerializer`, `{"id", "email", "name"}`."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from submissions.accounts.models import (
    ApiToken,
    Facility,
    FacilityAuditEvent,
    FacilityInvitation,
    Membership,
    Role,
    User,
)


class PersonSerializer(serializers.Serializer[User]):
    """A person, wherever one appears in the API (owner, actor, author, assignee...)."""

    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    facility: serializers.SlugRelatedField[Facility] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    group: serializers.StringRelatedField[Membership] = serializers.StringRelatedField()

    class Meta:
        model = Membership
        fields = ["facility", "group", "role"]


class MeSerializer(serializers.ModelSerializer[User]):
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "orcid", "memberships"]


class FacilitySerializer(serializers.ModelSerializer[Facility]):
    class Meta:
        model = Facility
        fields = ["id", "name", "slug"]


class FacilitySettingsSerializer(serializers.ModelSerializer[Facility]):
    """What a facility's administrators decide (accounts.services.FACILITY_SETTINGS)."""

    class Meta:
        model = Facility
        fields = ["allow_self_review", "keep_staging_after_publication"]
        extra_kwargs = {
            "allow_self_review": {"required": False},
            "keep_staging_after_publication": {"required": False},
        }


class MemberSerializer(serializers.ModelSerializer[Membership]):
    user = PersonSerializer(read_only=True)
    group_name = serializers.CharField(source="group.name", read_only=True, default=None)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "group", "group_name", "created_at"]
        read_only_fields = fields


class MemberChangeSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    group = serializers.IntegerField(required=False, allow_null=True)


class InvitationSerializer(serializers.ModelSerializer[FacilityInvitation]):
    invited_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = FacilityInvitation
        fields = ["id", "email", "role", "group", "invited_by", "created_at", "expires_at"]
        read_only_fields = fields


class InvitationCreateSerializer(serializers.Serializer[Any]):
    email = serializers.CharField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.RESEARCHER)
    group = serializers.IntegerField(required=False, allow_null=True)


class AuditEventSerializer(serializers.ModelSerializer[FacilityAuditEvent]):
    actor = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = FacilityAuditEvent
        fields = ["id", "kind", "summary", "data", "actor", "created_at"]
        read_only_fields = fields


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    """A token as listed: never its key, only its first characters (`prefix`)."""

    expired = serializers.SerializerMethodField()
    current = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "expired",
            "current",
        ]
        read_only_fields = fields

    def get_expired(self, token: ApiToken) -> bool:
        return bool(getattr(token, "expired", False))

    def get_current(self, token: ApiToken) -> bool:
        """Whether this request was made with this token."""
        request = self.context.get("request")
        auth = getattr(request, "auth", None)
        return isinstance(auth, ApiToken) and auth.pk == token.pk


class NewApiTokenSerializer(ApiTokenSerializer):
    token = serializers.SerializerMethodField(help_text="The key. Shown this once only.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields

    def get_token(self, token: ApiToken) -> str:
        return str(self.context["key"])


class ApiTokenCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
