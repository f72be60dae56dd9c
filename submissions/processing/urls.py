"""Routes of processing: progress pages, previews and retry, then the API."""

from __future__ import annotations

from django.urls import path

from submissions.processing import api, views

P = "submissions/<uuid:submission_id>"

urlpatterns = [
    path(f"{P}/processing/", views.page, name="submission-processing"),
    path(f"{P}/processing/partial/", views.partial, name="submission-processing-partial"),
    path(f"{P}/processing/retry/", views.retry, name="submission-processing-retry"),
    # The private review copy of an image, read by the viewer on the review page.
    path(
        f"{P}/review-copies/<uuid:file_id>.ome.zarr/",
        views.review_copy_object,
        name="submission-review-copy-root",
    ),
    path(
        f"{P}/review-copies/<uuid:file_id>.ome.zarr/<path:path>",
        views.review_copy_object,
        name="submission-review-copy-object",
    ),
    path(
        f"{P}/files/<uuid:file_id>/preview.png",
        views.file_preview,
        name="submission-file-preview",
    ),
]

api_urlpatterns = [
    path(
        "submissions/<str:submission_id>/processing/",
        api.ProcessingView.as_view(),
        name="api-processing",
    ),
    path(
        "submissions/<str:submission_id>/processing/retry/",
        api.RetryView.as_view(),
        name="api-processing-retry",
    ),
]
