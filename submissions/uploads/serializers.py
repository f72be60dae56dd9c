"""Serializers of the upload protocol."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from submissions.uploads.models import ChecksumAlgorithm, DataFile


class UploadCreateSerializer(serializers.Serializer[Any]):
    submission = serializers.UUIDField()
    name = serializers.CharField(max_length=4096, trim_whitespace=False)
    size = serializers.IntegerField(min_value=0)
    sha256 = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    checksum_algorithm = serializers.ChoiceField(
        choices=ChecksumAlgorithm.choices, default=ChecksumAlgorithm.SHA256
    )
    fingerprint = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200
    )


class UploadCompleteSerializer(serializers.Serializer[Any]):
    sha256 = serializers.RegexField(
        r"^[0-9a-f]{64}$",
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "The whole file's SHA-256 as the client computed it while reading the file "
            "(64 lowercase hexadecimal characters). Verification compares it with the stored "
            "bytes; on a mismatch the file fails and must be uploaded again. Optional; may "
            "also be declared at creation."
        ),
        error_messages={"invalid": "Give the SHA-256 as 64 lowercase hexadecimal characters."},
    )


class UploadSerializer(serializers.ModelSerializer[DataFile]):
    part_count = serializers.IntegerField(read_only=True)
    receipt_url = serializers.SerializerMethodField()

    class Meta:
        model = DataFile
        fields = [
            "id",
            "submission",
            "name",
            "size",
            "status",
            "checksum_algorithm",
            "part_size",
            "part_count",
            "sha256",
            "declared_sha256",
            "detected_type",
            "failure_code",
            "failure_message",
            "created_at",
            "uploaded_at",
            "verified_at",
            # When retention deleted the bytes (a rejected or withdrawn submission); else null.
            "purged_at",
            "receipt_url",
        ]
        read_only_fields = fields

    def get_receipt_url(self, datafile: DataFile) -> str | None:
        if not datafile.sha256:  # set by verification only (see fixity_receipt)
            return None
        return reverse("api-upload-receipt", args=[datafile.pk])


class PartSignSerializer(serializers.Serializer[Any]):
    checksum = serializers.CharField(max_length=100)


class PartSignItemSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField(min_value=1)
    checksum = serializers.CharField(max_length=100)


class PartsSignSerializer(serializers.Serializer[Any]):
    parts = serializers.ListField(child=PartSignItemSerializer(), allow_empty=False, max_length=100)


class PartSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    size = serializers.IntegerField()
    etag = serializers.CharField()
    checksum = serializers.CharField()


class PartTargetSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField(required=False)
    url = serializers.CharField()
    method = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField())
    expires_at = serializers.DateTimeField()
