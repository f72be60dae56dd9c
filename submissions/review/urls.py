"""Routes of review: the queue (queue_views) and the review page with its actions, then the API."""

from __future__ import annotations

from django.urls import path
from django.views.generic import RedirectView

from submissions.review import api, queue_views, views

R = "submissions/<str:submission_id>/review"

urlpatterns = [
    path("review/", queue_views.review_home, name="review-home"),
    path("review/<slug:slug>/", queue_views.queue, name="review-queue"),
    path(
        "review/submissions/<str:submission_id>/claim/",
        queue_views.claim_from_queue,
        name="review-queue-claim",
    ),
    # The queue's address before "curation" became "review": bookmarks keep working.
    path("curation/", RedirectView.as_view(pattern_name="review-home", permanent=True)),
    path(
        "curation/<slug:slug>/",
        RedirectView.as_view(pattern_name="review-queue", permanent=True),
    ),
    path(f"{R}/", views.review_page, name="submission-review"),
    path(f"{R}/files/", views.review_files, name="submission-review-files"),
    path(f"{R}/images/", views.review_images, name="submission-review-images"),
    path(
        f"{R}/points/<int:point_id>/screenshot.png",
        views.point_screenshot,
        name="review-point-screenshot",
    ),
    path(f"{R}/claim/", views.claim, name="review-claim"),
    path(f"{R}/assign/", views.assign, name="review-assign"),
    path(f"{R}/approve/", views.approve, name="review-approve"),
    path(f"{R}/reject/", views.reject, name="review-reject"),
    path(f"{R}/request-changes/", views.request_changes, name="review-request-changes"),
    path(f"{R}/comment/", views.comment, name="review-comment"),
    path(f"{R}/submit/", views.submit, name="review-submit"),
]

ID = "review/submissions/<str:pk>/"
route = api.review_route

api_urlpatterns = [
    path("review/facilities/<slug:slug>/queue/", api.QueueView.as_view(), name="api-review-queue"),
    path(ID, route("detail", {"get": "retrieve"}), name="api-review-detail"),
    path(f"{ID}claim/", route("claim", {"post": "claim"}), name="api-review-claim"),
    path(f"{ID}assign/", route("assign", {"post": "assign"}), name="api-review-assign"),
    path(
        f"{ID}start-review/",
        route("start_review", {"post": "start_review"}),
        name="api-review-start-review",
    ),
    path(f"{ID}approve/", route("approve", {"post": "approve"}), name="api-review-approve"),
    path(f"{ID}reject/", route("reject", {"post": "reject"}), name="api-review-reject"),
    path(
        f"{ID}request-changes/",
        route("request_changes", {"post": "request_changes"}),
        name="api-review-request-changes",
    ),
    path(
        f"{ID}change-requests/",
        route("change_requests", {"get": "change_requests"}),
        name="api-review-change-requests",
    ),
    path(
        f"{ID}comments/",
        route("comments", {"get": "comments", "post": "add_comment"}),
        name="api-review-comments",
    ),
    path(f"{ID}diff/", route("diff", {"get": "diff"}), name="api-review-diff"),
    path(f"{ID}timeline/", route("timeline", {"get": "timeline"}), name="api-review-timeline"),
    path(f"{ID}fields/", route("fields", {"patch": "fields"}), name="api-review-fields"),
]
