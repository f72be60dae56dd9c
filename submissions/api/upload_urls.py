from __future__ import annotations

from django.urls import path

from submissions.api import uploads
from submissions.views import upload_parts

urlpatterns = [
    path("uploads/", uploads.UploadListView.as_view(), name="api-uploads"),
    path("uploads/<uuid:pk>/", uploads.UploadDetailView.as_view(), name="api-upload"),
    path("uploads/<uuid:pk>/abort/", uploads.UploadAbortView.as_view(), name="api-upload-abort"),
    path(
        "uploads/<uuid:pk>/complete/",
        uploads.UploadCompleteView.as_view(),
        name="api-upload-complete",
    ),
    path("uploads/<uuid:pk>/parts/", uploads.PartListView.as_view(), name="api-upload-parts"),
    path(
        "uploads/<uuid:pk>/parts/<int:number>/",
        uploads.PartSignView.as_view(),
        name="api-upload-part",
    ),
    path(
        "uploads/<uuid:pk>/parts/<int:number>/data",
        upload_parts.receive_part,
        name="upload-part-data",
    ),
    path("uploads/<uuid:pk>/receipt/", uploads.ReceiptView.as_view(), name="api-upload-receipt"),
]
