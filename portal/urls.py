"""Every route of the portal, domain by domain: each domain's `urls` module lists its pages
(`urlpatterns`) and its REST endpoints under /api/v1/ (`api_urlpatterns`)."""

from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from submissions.accounts import urls as accounts
from submissions.core import views as core
from submissions.lifecycle import urls as lifecycle
from submissions.notifications import urls as notifications
from submissions.processing import urls as processing
from submissions.publication import urls as publication
from submissions.quotas import urls as quotas
from submissions.rembi import urls as rembi
from submissions.review import urls as review
from submissions.uploads import urls as uploads

DOMAINS = [accounts, lifecycle, rembi, uploads, review, processing, publication, quotas]
DOMAINS += [notifications]

# The admin has no login form of its own: it sends people to allauth's, which is rate-limited
# (failed logins per address and per account) and shared with the rest of the site.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

api = [route for domain in DOMAINS for route in domain.api_urlpatterns]
pages = [route for domain in DOMAINS for route in domain.urlpatterns]

urlpatterns = [
    path("healthz", core.healthz, name="healthz"),
    path("healthz/live", core.healthz_live, name="healthz-live"),
    path("healthz/ready", core.healthz_ready, name="healthz-ready"),
    path("metrics", core.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's set-up script as a file, and api_docs.html moves its
    # inline style to one: the Content-Security-Policy allows neither inline.
    path(
        "api/v1/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api_docs.html"),
        name="api-docs",
    ),
    path("api/v1/", include(api)),
    path("", include(pages)),
]

handler400 = "submissions.core.views.bad_request"
handler403 = "submissions.core.views.permission_denied"
handler404 = "submissions.core.views.page_not_found"
handler500 = "submissions.core.views.server_error"
