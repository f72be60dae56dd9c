from __future__ import annotations

from rest_framework import serializers

from submissions.models import Facility, Membership, Submission, SubmissionEvent, User


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


class EventSerializer(serializers.ModelSerializer[SubmissionEvent]):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = SubmissionEvent
        fields = ["id", "kind", "from_status", "to_status", "note", "actor", "created_at"]

    def get_actor(self, event: SubmissionEvent) -> str | None:
        return event.actor.display_name if event.actor else None


class SubmissionSerializer(serializers.ModelSerializer[Submission]):
    facility: serializers.SlugRelatedField[Facility] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    owner = serializers.CharField(source="owner.email", read_only=True)

    class Meta:
        model = Submission
        fields = [
            "id",
            "title",
            "status",
            "facility",
            "owner",
            "accession",
            "metadata",
            "created_at",
            "updated_at",
            "submitted_at",
        ]
        read_only_fields = ["status", "accession", "created_at", "updated_at", "submitted_at"]


class SubmissionCreateSerializer(serializers.Serializer[Submission]):
    facility = serializers.SlugField()
    title = serializers.CharField(max_length=300)


class NoteSerializer(serializers.Serializer[None]):
    note = serializers.CharField(required=False, allow_blank=True, max_length=20_000, default="")
