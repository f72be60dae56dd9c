"""Serializers of the review API (submissions.review.api)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from submissions.accounts.serializers import PersonSerializer
from submissions.lifecycle.models import Submission
from submissions.review.models import ChangeRequest, ChangeRequestPoint, ReviewComment
from submissions.review.queue_rows import row_link
from submissions.review.readiness import BLOCK_CODES, ApprovalBlock, approval_blocks
from submissions.review.selectors import (
    AGES,
    QUEUE_STATES,
    SORTS,
    changes_since_last_review,
    open_change_request,
)
from submissions.review.services import MAX_MESSAGE
from submissions.uploads.models import DataFile


class QueueQuerySerializer(serializers.Serializer[None]):
    state = serializers.ChoiceField(
        choices=["waiting", "all", *[s.value for s in QUEUE_STATES]], default="waiting"
    )
    submitter = serializers.CharField(required=False, default="", max_length=254)
    age = serializers.ChoiceField(choices=list(AGES), required=False, default="")
    assignee = serializers.RegexField(
        r"^(me|none|\d+)$", required=False, default="", help_text='"me", "none" or a user id'
    )
    has_failures = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(required=False, default="", max_length=200)
    sort = serializers.ChoiceField(choices=list(SORTS), default="oldest")


class QueueRowSerializer(serializers.ModelSerializer[Submission]):
    owner = PersonSerializer(read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    waiting_seconds = serializers.SerializerMethodField()
    file_count = serializers.SerializerMethodField()
    failed_files = serializers.SerializerMethodField()
    total_bytes = serializers.SerializerMethodField()
    review_url = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id",
            "title",
            "status",
            "accession",
            "owner",
            "assignee",
            "submitted_at",
            "waiting_seconds",
            "file_count",
            "failed_files",
            "total_bytes",
            "review_url",
        ]

    def _stats(self, submission: Submission) -> Any:
        return self.context.get("stats", {}).get(submission.pk)

    def get_waiting_seconds(self, submission: Submission) -> int | None:
        if submission.submitted_at is None:
            return None
        return int((timezone.now() - submission.submitted_at).total_seconds())

    def get_file_count(self, submission: Submission) -> int:
        stats = self._stats(submission)
        return stats.count if stats else 0

    def get_failed_files(self, submission: Submission) -> int:
        stats = self._stats(submission)
        return stats.failed if stats else 0

    def get_total_bytes(self, submission: Submission) -> int:
        stats = self._stats(submission)
        return stats.total_bytes if stats else 0

    def get_review_url(self, submission: Submission) -> str:
        return reverse("submission-review", args=[submission.pk])

    def to_representation(self, instance: Submission) -> dict[str, Any]:
        """The fields declared above (and in the schema), built directly: DRF's per-field
        machinery cost more than the database for a page of 100 rows. A test holds this to
        DRF's own output."""
        stats = self._stats(instance)
        submitted = instance.submitted_at
        return {
            "id": str(instance.pk),
            "title": instance.title,
            "status": instance.status,
            "accession": instance.accession,
            "owner": _person(instance.owner),
            "assignee": _person(instance.assignee) if instance.assignee_id else None,
            "submitted_at": self.fields["submitted_at"].to_representation(submitted)
            if submitted
            else None,
            "waiting_seconds": self.get_waiting_seconds(instance),
            "file_count": stats.count if stats else 0,
            "failed_files": stats.failed if stats else 0,
            "total_bytes": stats.total_bytes if stats else 0,
            "review_url": self._review_url(instance.pk),
        }

    @functools.cached_property
    def _review_url(self) -> Callable[[Any], str]:
        return row_link("submission-review")


def _person(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "email": user.email, "name": user.display_name}


class FileSerializer(serializers.ModelSerializer[DataFile]):
    class Meta:
        model = DataFile
        fields = [
            "id",
            "name",
            "size",
            "sha256",
            "detected_type",
            "status",
            "failure_code",
            "failure_message",
            "inspection",
            "verified_at",
            # When retention deleted the bytes (a rejected or withdrawn submission); else null.
            "purged_at",
        ]


class PointSerializer(serializers.ModelSerializer[ChangeRequestPoint]):
    field = serializers.CharField(source="field_path")
    file = serializers.UUIDField(source="file_id", allow_null=True)

    class Meta:
        model = ChangeRequestPoint
        fields = ["id", "field", "file", "message"]


class ChangeRequestSerializer(serializers.ModelSerializer[ChangeRequest]):
    curator = PersonSerializer(read_only=True, allow_null=True)
    points = PointSerializer(many=True, read_only=True)

    class Meta:
        model = ChangeRequest
        fields = ["id", "curator", "message", "points", "created_at", "resolved_at"]


class CommentSerializer(serializers.ModelSerializer[ReviewComment]):
    author = PersonSerializer(read_only=True, allow_null=True)
    field = serializers.CharField(source="field_path")
    file = serializers.UUIDField(source="file_id", allow_null=True)

    class Meta:
        model = ReviewComment
        fields = ["id", "author", "body", "field", "file", "created_at"]


class CommentCreateSerializer(serializers.Serializer[None]):
    body = serializers.CharField(max_length=MAX_MESSAGE)
    field = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    file = serializers.UUIDField(required=False, allow_null=True, default=None)


class PointInputSerializer(serializers.Serializer[None]):
    field = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    file = serializers.UUIDField(required=False, allow_null=True, default=None)
    message = serializers.CharField(max_length=MAX_MESSAGE)


class RequestChangesSerializer(serializers.Serializer[None]):
    message = serializers.CharField(max_length=MAX_MESSAGE)
    points = PointInputSerializer(many=True, required=False, default=list)


class RejectSerializer(serializers.Serializer[None]):
    reason = serializers.CharField(max_length=MAX_MESSAGE)


class AssignSerializer(serializers.Serializer[None]):
    assignee = serializers.IntegerField(allow_null=True, help_text="A curator's user id, or null")


class FieldChangesSerializer(serializers.Serializer[None]):
    changes = serializers.DictField(
        child=serializers.JSONField(),
        help_text='{"study.authors.0.orcid": "0000-0002-1825-0097"}: each path must be a field '
        "of this submission's description",
    )


class FieldChangeSerializer(serializers.Serializer[None]):
    path = serializers.CharField()
    title = serializers.CharField(
        source="label", help_text="The field as people read it: Study > Licence"
    )
    change = serializers.ChoiceField(choices=["added", "removed", "changed"])
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class FileChangeSerializer(serializers.Serializer[None]):
    file_id = serializers.CharField()
    name = serializers.CharField()
    change = serializers.ChoiceField(choices=["added", "removed", "changed"])
    details = serializers.ListField(child=serializers.CharField())


class DiffSerializer(serializers.Serializer[Any]):
    previous_round = serializers.IntegerField()
    current_round = serializers.IntegerField()
    previous_at = serializers.DateTimeField()
    current_at = serializers.DateTimeField()
    metadata = FieldChangeSerializer(many=True, source="fields")
    files = FileChangeSerializer(many=True)


class ApprovalBlockSerializer(serializers.Serializer[Any]):
    code = serializers.ChoiceField(
        choices=BLOCK_CODES,
        help_text="What stops approval, stable for programs: permission_denied (you do not "
        "curate this facility), invalid_transition (not waiting for a decision), self_review "
        "(you own or co-author it), conversion_failed (an image could not be converted "
        "because of its file), quota_exceeded (an archive limit)",
    )
    message = serializers.CharField(
        help_text="The same words the review page shows, with what can be done about it"
    )
    files = serializers.ListField(
        child=serializers.CharField(),
        help_text="Names of the files concerned (conversion_failed), else empty",
    )


class ReviewSerializer(serializers.ModelSerializer[Submission]):
    """Everything the review page shows, for one submission. `can_approve` and
    `approval_blocks` are for the person asking (context "user"): the rule the approve
    action applies (review.readiness.approval_blocks)."""

    facility = serializers.SlugRelatedField(slug_field="slug", read_only=True)  # type: ignore[var-annotated]
    owner = PersonSerializer(read_only=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    files = serializers.SerializerMethodField()
    open_change_request = serializers.SerializerMethodField()
    diff = serializers.SerializerMethodField()
    can_approve = serializers.SerializerMethodField(
        help_text="Whether approve would go through for you now (approval_blocks is empty)"
    )
    approval_blocks = serializers.SerializerMethodField(
        help_text="Every reason approve would be refused to you now, in the order it checks"
    )

    class Meta:
        model = Submission
        fields = [
            "id",
            "title",
            "status",
            "facility",
            "owner",
            "assignee",
            "accession",
            "metadata",
            "submitted_at",
            "updated_at",
            "files",
            "open_change_request",
            "diff",
            "can_approve",
            "approval_blocks",
        ]

    @extend_schema_field(FileSerializer(many=True))
    def get_files(self, submission: Submission) -> Any:
        return FileSerializer(submission.files.order_by("name", "created_at"), many=True).data

    @extend_schema_field(ChangeRequestSerializer(allow_null=True))
    def get_open_change_request(self, submission: Submission) -> Any:
        found = open_change_request(submission=submission)
        return ChangeRequestSerializer(found).data if found else None

    @extend_schema_field(DiffSerializer(allow_null=True))
    def get_diff(self, submission: Submission) -> Any:
        diff = changes_since_last_review(submission=submission)
        return DiffSerializer(diff).data if diff else None

    _blocks_of: dict[Any, list[ApprovalBlock]] | None = None

    def _blocks(self, submission: Submission) -> list[ApprovalBlock]:
        # Once per submission (both fields read it), for the person in the context.
        if self._blocks_of is None:
            self._blocks_of = {}
        if submission.pk not in self._blocks_of:
            self._blocks_of[submission.pk] = approval_blocks(
                submission=submission, curator=self.context["user"]
            )
        return self._blocks_of[submission.pk]

    def get_can_approve(self, submission: Submission) -> bool:
        return not self._blocks(submission)

    @extend_schema_field(ApprovalBlockSerializer(many=True))
    def get_approval_blocks(self, submission: Submission) -> Any:
        return ApprovalBlockSerializer(self._blocks(submission), many=True).data
