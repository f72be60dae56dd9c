"""The review API: /api/v1/review/... Facility-scoped; what you may not see is a 404."""

from __future__ import annotations

import functools
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSet

from submissions.accounts.models import User
from submissions.core.auth import user_of
from submissions.core.errors import ValidationFailed
from submissions.core.pagination import KnownCountPaginator
from submissions.lifecycle import selectors as lifecycle_selectors
from submissions.lifecycle.models import Submission
from submissions.lifecycle.serializers import EventSerializer, NoteSerializer
from submissions.review import assignment, selectors, services
from submissions.review import counts as queue_counts
from submissions.review.selectors import QueueFilters
from submissions.review.serializers import (
    AssignSerializer,
    ChangeRequestSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    DiffSerializer,
    FieldChangesSerializer,
    QueueQuerySerializer,
    QueueRowSerializer,
    RejectSerializer,
    RequestChangesSerializer,
    ReviewSerializer,
)


class QueuePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_with_counts(
        self, rows: Any, request: Request, counts: queue_counts.StateCounts, state: str
    ) -> Any:
        self.counts, self.state = counts, state
        self.django_paginator_class = functools.partial(  # type: ignore[assignment]
            KnownCountPaginator, count=counts.count(state), exact=counts.exact(state)
        )
        return self.paginate_queryset(rows, request)

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["count_exact"] = self.counts.exact(self.state)
        response.data["counts"] = self.counts.counts
        response.data["counts_over_limit"] = sorted(self.counts.over_limit)
        return response


QUEUE_PARAMETERS = [
    OpenApiParameter("page", int, description="Page number, from 1"),
    OpenApiParameter("page_size", int, description="Rows per page (at most 200)"),
]


class QueueView(APIView):
    """The review queue of a facility you curate, oldest first, with a count per state."""

    @extend_schema(
        parameters=[QueueQuerySerializer, *QUEUE_PARAMETERS],
        responses=inline_serializer(
            "ReviewQueuePage",
            {
                "count": serializers.IntegerField(
                    help_text="Rows in this state; a lower bound when count_exact is false"
                ),
                "count_exact": serializers.BooleanField(
                    help_text=f"False when the state holds more than "
                    f"{queue_counts.COUNT_LIMIT:,} rows: counting stops there, follow `next`"
                ),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "counts": serializers.DictField(
                    child=serializers.IntegerField(),
                    help_text="Rows per state under the other filters (lower bounds for the "
                    "states in counts_over_limit)",
                ),
                "counts_over_limit": serializers.ListField(child=serializers.CharField()),
                "results": QueueRowSerializer(many=True),
            },
        ),
    )
    def get(self, request: Request, slug: str) -> Response:
        user = user_of(request)
        facility = selectors.curated_facility(user=user, slug=slug)
        query = QueueQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = QueueFilters(**query.validated_data)
        paginator = QueuePagination()
        page = paginator.paginate_with_counts(
            selectors.review_queue(user=user, facility=facility, filters=filters),
            request,
            queue_counts.queue_state_counts(user=user, facility=facility, filters=filters),
            filters.state,
        )
        stats = selectors.file_stats(page or [])
        rows = QueueRowSerializer(page, many=True, context={"stats": stats})
        return paginator.get_paginated_response(rows.data)


class ReviewViewSet(ViewSet):
    """One submission under services. Curator actions answer 403 to its researcher and 404 to
    anyone who may not see it; a repeated decision answers 409 and changes nothing."""

    lookup_value_regex = "[^/]+"

    def _submission(self, pk: str) -> tuple[User, Submission]:
        user = user_of(self.request)
        return user, lifecycle_selectors.get_submission(user=user, submission_id=pk)

    def _review(self, submission: Submission) -> Response:
        submission.refresh_from_db()
        user = user_of(self.request)
        return Response(ReviewSerializer(submission, context={"user": user}).data)

    @extend_schema(responses=ReviewSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        """One submission as its review page shows it, with whether you may approve it now
        and, if not, every reason why (`approval_blocks`)."""
        _user, submission = self._submission(pk)
        return self._review(submission)

    @extend_schema(request=None, responses=ReviewSerializer)
    def claim(self, request: Request, pk: str) -> Response:
        user, submission = self._submission(pk)
        return self._review(assignment.claim(submission=submission, curator=user))

    @extend_schema(request=AssignSerializer, responses=ReviewSerializer)
    def assign(self, request: Request, pk: str) -> Response:
        user, submission = self._submission(pk)
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignee_id = data.validated_data["assignee"]
        assignee = None
        if assignee_id is not None:
            assignee = (
                selectors.facility_curators(facility=submission.facility)
                .filter(pk=assignee_id)
                .first()
            )
            if assignee is None:
                raise ValidationFailed(fields={"assignee": ["Not a curator of this facility."]})
        return self._review(
            assignment.assign(submission=submission, curator=user, assignee=assignee)
        )

    @extend_schema(request=None, responses=ReviewSerializer)
    def start_review(self, request: Request, pk: str) -> Response:
        """A waiting submission becomes "in review" (claiming it does this too)."""
        user, submission = self._submission(pk)
        return self._review(services.start_review(submission=submission, curator=user))

    @extend_schema(request=NoteSerializer, responses=ReviewSerializer)
    def approve(self, request: Request, pk: str) -> Response:
        user, submission = self._submission(pk)
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = data.validated_data["note"]
        return self._review(services.approve(submission=submission, curator=user, note=note))

    @extend_schema(request=RejectSerializer, responses=ReviewSerializer)
    def reject(self, request: Request, pk: str) -> Response:
        user, submission = self._submission(pk)
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data["reason"]
        return self._review(services.reject(submission=submission, curator=user, reason=reason))

    @extend_schema(request=RequestChangesSerializer, responses={201: ChangeRequestSerializer})
    def request_changes(self, request: Request, pk: str) -> Response:
        user, submission = self._submission(pk)
        data = RequestChangesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change_request = services.request_changes(
            submission=submission,
            curator=user,
            message=data.validated_data["message"],
            points=[
                services.ChangePoint(
                    message=p["message"],
                    field_path=p["field"],
                    file_id=str(p["file"]) if p["file"] else None,
                )
                for p in data.validated_data["points"]
            ],
        )
        body = ChangeRequestSerializer(change_request).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ChangeRequestSerializer(many=True))
    def change_requests(self, request: Request, pk: str) -> Response:
        _user, submission = self._submission(pk)
        found = selectors.change_requests(submission=submission)
        return Response(ChangeRequestSerializer(found, many=True).data)

    @extend_schema(responses=CommentSerializer(many=True))
    def comments(self, request: Request, pk: str) -> Response:
        _user, submission = self._submission(pk)
        found = selectors.comments(submission=submission)
        return Response(CommentSerializer(found, many=True).data)

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentSerializer})
    def add_comment(self, request: Request, pk: str) -> Response:
        user, submission = self._submission(pk)
        data = CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.add_comment(
            submission=submission,
            author=user,
            body=data.validated_data["body"],
            field_path=data.validated_data["field"],
            file_id=str(data.validated_data["file"]) if data.validated_data["file"] else None,
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=DiffSerializer)
    def diff(self, request: Request, pk: str) -> Response:
        """What changed between the last two submits (404 before a resubmission)."""
        _user, submission = self._submission(pk)
        found = selectors.changes_since_last_review(submission=submission)
        if found is None:
            return Response(
                {"code": "no_previous_review", "message": "Not resubmitted yet.", "fields": {}},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response(DiffSerializer(found).data)

    @extend_schema(responses=EventSerializer(many=True))
    def timeline(self, request: Request, pk: str) -> Response:
        _user, submission = self._submission(pk)
        events = lifecycle_selectors.submission_timeline(submission=submission)
        return Response(EventSerializer(events, many=True).data)

    @extend_schema(request=FieldChangesSerializer, responses=ReviewSerializer)
    def fields(self, request: Request, pk: str) -> Response:
        """The submitter sets metadata values by dotted path while changes are requested."""
        user, submission = self._submission(pk)
        data = FieldChangesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = data.validated_data["changes"]
        return self._review(
            services.update_fields(submission=submission, user=user, changes=changes)
        )


def review_route(name: str, methods: dict[str, Any]) -> Any:
    """One action of ReviewViewSet as a view, for the URLconf."""
    return ReviewViewSet.as_view(methods, name=name)
