"""HTML routes of curation: the queue, the review page and its actions, mail settings."""

from __future__ import annotations

from django.urls import path

from submissions.views import curation, review

urlpatterns = [
    path("curation/", curation.curation_home, name="curation-home"),
    path("curation/<slug:slug>/", curation.queue, name="curation-queue"),
    path(
        "curation/submissions/<str:submission_id>/claim/",
        curation.claim_from_queue,
        name="curation-claim",
    ),
    path("account/notifications/", curation.notification_settings, name="notification-settings"),
    path("submissions/<str:submission_id>/review/", review.review_page, name="submission-review"),
    path(
        "submissions/<str:submission_id>/review/files/",
        review.review_files,
        name="submission-review-files",
    ),
    path("submissions/<str:submission_id>/review/claim/", review.claim, name="review-claim"),
    path("submissions/<str:submission_id>/review/assign/", review.assign, name="review-assign"),
    path("submissions/<str:submission_id>/review/approve/", review.approve, name="review-approve"),
    path("submissions/<str:submission_id>/review/reject/", review.reject, name="review-reject"),
    path(
        "submissions/<str:submission_id>/review/request-changes/",
        review.request_changes,
        name="review-request-changes",
    ),
    path("submissions/<str:submission_id>/review/comment/", review.comment, name="review-comment"),
    path("submissions/<str:submission_id>/review/fix/", review.fix_fields, name="review-fix"),
    path("submissions/<str:submission_id>/review/submit/", review.submit, name="review-submit"),
]
