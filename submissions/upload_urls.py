from __future__ import annotations

from django.urls import path

from submissions.views import uploads

urlpatterns = [
    path("submissions/<uuid:pk>/files/", uploads.submission_files, name="submission-files"),
    path(
        "submissions/<uuid:pk>/files/<uuid:file_id>/remove/",
        uploads.remove_submission_file,
        name="submission-file-remove",
    ),
]
