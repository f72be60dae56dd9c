from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from submissions.api import submissions, views

router = DefaultRouter()
router.register("submissions", submissions.SubmissionViewSet, basename="submission")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path("me/token/", views.TokenView.as_view(), name="api-token"),
    path("facilities/", views.FacilityListView.as_view(), name="api-facilities"),
    path("", include("submissions.api.quota_urls")),
    path("", include("submissions.api.upload_urls")),
    path("", include("submissions.api.vocabularies")),
    path("review/", include("submissions.api.review")),
    path("", include("submissions.api.processing")),
    path("", include(router.urls)),
]
