"""Routes of submissions: the dashboard and a submission's pages, then the API."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from submissions.lifecycle import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("submissions/new/", views.new_submission, name="submission-new"),
    path("submissions/<uuid:pk>/", views.submission_detail, name="submission-detail"),
    path("submissions/<uuid:pk>/edit/", views.edit_metadata, name="submission-edit"),
    path("submissions/<uuid:pk>/submit/", views.submit_submission, name="submission-submit"),
    path("submissions/<uuid:pk>/withdraw/", views.withdraw_submission, name="submission-withdraw"),
    path("submissions/<uuid:pk>/delete/", views.delete_submission, name="submission-delete"),
]

router = DefaultRouter()
router.register("submissions", api.SubmissionViewSet, basename="submission")
api_urlpatterns = router.urls
