"""The submission pages (new, overview, metadata editor, submit, withdraw, delete)."""

from __future__ import annotations

from django.urls import path

from submissions.views import submission_pages as pages

urlpatterns = [
    path("submissions/new/", pages.new_submission, name="submission-new"),
    path("submissions/<uuid:pk>/", pages.submission_detail, name="submission-detail"),
    path("submissions/<uuid:pk>/edit/", pages.edit_metadata, name="submission-edit"),
    path("submissions/<uuid:pk>/submit/", pages.submit_submission, name="submission-submit"),
    path("submissions/<uuid:pk>/withdraw/", pages.withdraw_submission, name="submission-withdraw"),
    path("submissions/<uuid:pk>/delete/", pages.delete_submission, name="submission-delete"),
]
