from __future__ import annotations

from django.urls import include, path

from submissions.views import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("account/", pages.account, name="account"),
    path("account/api-token/", pages.api_token, name="api-token-page"),
    path("", include("submissions.urls_quota")),
    path("", include("submissions.upload_urls")),
    path("", include("submissions.urls_submissions")),
    path("", include("submissions.urls_review")),
    path("", include("submissions.urls_processing")),
]
