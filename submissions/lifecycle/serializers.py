"""Serializers of submissions and their timeline."""

from __future__ import annotations

from rest_framework import serializers

from submissions.accounts.models import Facility
from submissions.accounts.serializers import PersonSerializer
from submissions.lifecycle.models import Submission, SubmissionEvent


class EventSerializer(serializers.ModelSerializer[SubmissionEvent]):
    actor = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = SubmissionEvent
        fields = ["id", "kind", "from_status", "to_status", "note", "actor", "created_at"]


class SubmissionSerializer(serializers.ModelSerializer[Submission]):
    facility: serializers.SlugRelatedField[Facility] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    owner = PersonSerializer(read_only=True)

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
