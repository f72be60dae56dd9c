"""Routes of quotas and usage: pages, then the API (under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from submissions.quotas import api, views

F = "facility/<slug:slug>"

urlpatterns = [
    path("account/usage/", views.my_usage, name="my-usage"),
    path(
        "account/usage/requests/<int:pk>/withdraw/",
        views.withdraw_request,
        name="my-usage-withdraw",
    ),
    path(f"{F}/", views.dashboard, name="facility-dashboard"),
    path(f"{F}/quotas/", views.quotas, name="facility-quotas"),
    path(f"{F}/requests/", views.requests, name="facility-requests"),
    path(f"{F}/requests/<int:pk>/decide/", views.decide, name="facility-request-decide"),
    path(f"{F}/usage.csv", views.chargeback_csv, name="facility-chargeback"),
]

A = "facilities/<slug:slug>"

api_urlpatterns = [
    path("quota/check/", api.AdmissionCheckView.as_view(), name="api-quota-check"),
    path("quota/usage/", api.MyUsageView.as_view(), name="api-quota-usage"),
    path("quota/requests/", api.MyRequestsView.as_view(), name="api-quota-requests"),
    path(
        "quota/requests/<int:pk>/withdraw/",
        api.MyRequestWithdrawView.as_view(),
        name="api-quota-request-withdraw",
    ),
    path(f"{A}/quotas/", api.QuotasView.as_view(), name="api-facility-quotas"),
    path(f"{A}/usage/", api.DashboardView.as_view(), name="api-facility-usage"),
    path(f"{A}/chargeback/", api.ChargebackView.as_view(), name="api-facility-chargeback"),
    path(
        f"{A}/quota-requests/",
        api.FacilityRequestsView.as_view(),
        name="api-facility-quota-requests",
    ),
    path(
        f"{A}/quota-requests/<int:pk>/approve/",
        api.DecideRequestView.as_view(),
        name="api-facility-quota-request-approve",
    ),
    path(
        f"{A}/quota-requests/<int:pk>/deny/",
        api.DenyRequestView.as_view(),
        name="api-facility-quota-request-deny",
    ),
]
