"""Routes of uploads: the files page, then the upload protocol (under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from submissions.uploads import api, views

urlpatterns = [
    path("submissions/<uuid:pk>/files/", views.submission_files, name="submission-files"),
    path(
        "submissions/<uuid:pk>/files/<uuid:file_id>/download/",
        views.download_submission_file,
        name="submission-file-download",
    ),
    path(
        "submissions/<uuid:pk>/files/<uuid:file_id>/remove/",
        views.remove_submission_file,
        name="submission-file-remove",
    ),
]

api_urlpatterns = [
    path("uploads/", api.UploadListView.as_view(), name="api-uploads"),
    path("uploads/<uuid:pk>/", api.UploadDetailView.as_view(), name="api-upload"),
    path("uploads/<uuid:pk>/abort/", api.UploadAbortView.as_view(), name="api-upload-abort"),
    path(
        "uploads/<uuid:pk>/complete/",
        api.UploadCompleteView.as_view(),
        name="api-upload-complete",
    ),
    path("uploads/<uuid:pk>/parts/", api.PartListView.as_view(), name="api-upload-parts"),
    path(
        "uploads/<uuid:pk>/parts/sign/", api.PartsSignView.as_view(), name="api-upload-parts-sign"
    ),
    path(
        "uploads/<uuid:pk>/parts/<int:number>/",
        api.PartSignView.as_view(),
        name="api-upload-part",
    ),
    # Folder storage only: the signed part URL points here (S3 takes the bytes itself).
    path(
        "uploads/<uuid:pk>/parts/<int:number>/data",
        views.receive_part,
        name="upload-part-data",
    ),
    path("uploads/<uuid:pk>/receipt/", api.ReceiptView.as_view(), name="api-upload-receipt"),
]
