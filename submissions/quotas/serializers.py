"""Serializers of the quota and facility-administration API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from submissions.accounts.models import (
    Facility,
    User,
)
from submissions.accounts.serializers import PersonSerializer
from submissions.core.units import MAX_LIMIT
from submissions.quotas.models import QuotaAccount, QuotaIncreaseRequest, QuotaScope, StorageArea

Bytes = serializers.IntegerField


class ManifestFileSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=1024, trim_whitespace=False)
    size = Bytes(min_value=0, max_value=MAX_LIMIT)


class AdmissionRequestSerializer(serializers.Serializer[Any]):
    facility = serializers.SlugField(max_length=60)
    files = ManifestFileSerializer(many=True, allow_empty=False, max_length=100_000)  # type: ignore[call-arg]
    area = serializers.ChoiceField(choices=StorageArea.choices, default=StorageArea.STAGING)


class LevelSerializer(serializers.Serializer[Any]):
    scope = serializers.ChoiceField(choices=QuotaScope.choices)
    label = serializers.CharField()  # type: ignore[assignment]
    area = serializers.ChoiceField(choices=StorageArea.choices)
    used_bytes = Bytes()
    held_bytes = Bytes()
    total_bytes = Bytes()
    soft_limit = Bytes(allow_null=True)
    hard_limit = Bytes(allow_null=True)
    remaining_bytes = Bytes(allow_null=True)
    percent = serializers.IntegerField(allow_null=True)
    state = serializers.ChoiceField(choices=["ok", "warn", "full"])
    over_bytes = Bytes(help_text="How far past the hard limit (0 within it).")
    tone = serializers.ChoiceField(
        choices=["ok", "caution", "full", "over"],
        help_text="caution: at 90% of the hard limit or past the soft limit.",
    )
    status_text = serializers.CharField(help_text="The state in words; empty when all is well.")


class AdmissionSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    facility = serializers.SlugField()
    area = serializers.CharField()
    file_count = serializers.IntegerField()
    total_bytes = Bytes()
    remaining_bytes = Bytes(allow_null=True, help_text="Room left under the tightest limit.")
    warnings = serializers.ListField(child=serializers.CharField())
    levels = LevelSerializer(many=True)


class AreaUsageSerializer(serializers.Serializer[Any]):
    area = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    levels = LevelSerializer(many=True)


class FacilityUsageSerializer(serializers.Serializer[Any]):
    facility = serializers.SlugField(source="facility.slug")
    facility_name = serializers.CharField(source="facility.name")
    areas = AreaUsageSerializer(many=True)


class AccountSerializer(serializers.ModelSerializer[QuotaAccount]):
    subject = serializers.CharField(source="subject_label", read_only=True)
    total_bytes = Bytes(read_only=True)
    user: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="email", read_only=True
    )

    class Meta:
        model = QuotaAccount
        fields = [
            "id",
            "scope",
            "area",
            "group",
            "user",
            "subject",
            "soft_limit",
            "hard_limit",
            "used_bytes",
            "held_bytes",
            "total_bytes",
            "updated_at",
        ]
        read_only_fields = fields


class SetLimitsSerializer(serializers.Serializer[Any]):
    scope = serializers.ChoiceField(choices=QuotaScope.choices)
    area = serializers.ChoiceField(choices=StorageArea.choices)
    group = serializers.IntegerField(required=False, allow_null=True, help_text="scope=group")
    user = serializers.IntegerField(required=False, allow_null=True, help_text="scope=user")
    soft_limit = Bytes(min_value=0, max_value=MAX_LIMIT, allow_null=True, help_text="null: none")
    hard_limit = Bytes(min_value=0, max_value=MAX_LIMIT, allow_null=True, help_text="null: none")


class QuotaRequestSerializer(serializers.ModelSerializer[QuotaIncreaseRequest]):
    facility: serializers.SlugRelatedField[Facility] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    requester = PersonSerializer(read_only=True)
    decided_by = PersonSerializer(read_only=True, allow_null=True)
    scope = serializers.CharField(source="account.scope", read_only=True)
    area = serializers.CharField(source="account.area", read_only=True)
    subject = serializers.CharField(source="account.subject_label", read_only=True)

    class Meta:
        model = QuotaIncreaseRequest
        fields = [
            "id",
            "facility",
            "requester",
            "scope",
            "area",
            "subject",
            "current_hard_limit",
            "requested_hard_limit",
            "reason",
            "status",
            "decided_by",
            "decision_note",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields


class QuotaRequestCreateSerializer(serializers.Serializer[Any]):
    facility = serializers.SlugField(max_length=60)
    scope = serializers.ChoiceField(choices=QuotaScope.choices, help_text="user or group")
    area = serializers.ChoiceField(choices=StorageArea.choices, default=StorageArea.STAGING)
    requested_hard_limit = Bytes(min_value=1, max_value=MAX_LIMIT)
    reason = serializers.CharField(max_length=5000)


class DecisionSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class UsagePointSerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    bytes = Bytes()


class SeriesSerializer(serializers.Serializer[Any]):
    label = serializers.CharField()  # type: ignore[assignment]
    points = UsagePointSerializer(many=True)


class ProjectionSerializer(serializers.Serializer[Any]):
    account = serializers.IntegerField()
    scope = serializers.CharField()
    area = serializers.CharField()
    subject = serializers.CharField()
    total_bytes = Bytes()
    hard_limit = Bytes()
    bytes_per_day = serializers.FloatField()
    full_on = serializers.DateField(allow_null=True)
    state = serializers.ChoiceField(choices=["full", "filling", "steady"])
    over_bytes = Bytes(help_text="How far past the hard limit (0 within it).")


class LargeSubmissionSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    title = serializers.CharField()
    owner = PersonSerializer()
    status = serializers.CharField()
    bytes = Bytes()


class GrowthSerializer(serializers.Serializer[Any]):
    month = serializers.CharField()
    staging_bytes_added = Bytes()
    archive_bytes_added = Bytes()


class DashboardSerializer(serializers.Serializer[Any]):
    facility = serializers.SlugField()
    area = serializers.CharField()
    facility_usage = SeriesSerializer(many=True)
    by_group = SeriesSerializer(many=True)
    by_user = SeriesSerializer(many=True)
    largest_submissions = LargeSubmissionSerializer(many=True)
    growth = GrowthSerializer(many=True)
    projections = ProjectionSerializer(many=True)
