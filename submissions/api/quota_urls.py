from __future__ import annotations

from django.urls import path

from submissions.api import quota as views

F = "facilities/<slug:slug>"

urlpatterns = [
    path("quota/check/", views.AdmissionCheckView.as_view(), name="api-quota-check"),
    path("quota/usage/", views.MyUsageView.as_view(), name="api-quota-usage"),
    path("quota/requests/", views.MyRequestsView.as_view(), name="api-quota-requests"),
    path(
        "quota/requests/<int:pk>/withdraw/",
        views.MyRequestWithdrawView.as_view(),
        name="api-quota-request-withdraw",
    ),
    path(
        "invitations/<str:token>/accept/",
        views.InvitationAcceptView.as_view(),
        name="api-invitation-accept",
    ),
    path(f"{F}/members/", views.MembersView.as_view(), name="api-facility-members"),
    path(f"{F}/members/<int:pk>/", views.MemberView.as_view(), name="api-facility-member"),
    path(f"{F}/invitations/", views.InvitationsView.as_view(), name="api-facility-invitations"),
    path(
        f"{F}/invitations/<int:pk>/",
        views.InvitationView.as_view(),
        name="api-facility-invitation",
    ),
    path(f"{F}/quotas/", views.QuotasView.as_view(), name="api-facility-quotas"),
    path(f"{F}/usage/", views.DashboardView.as_view(), name="api-facility-usage"),
    path(f"{F}/chargeback/", views.ChargebackView.as_view(), name="api-facility-chargeback"),
    path(
        f"{F}/quota-requests/",
        views.FacilityRequestsView.as_view(),
        name="api-facility-quota-requests",
    ),
    path(
        f"{F}/quota-requests/<int:pk>/approve/",
        views.DecideRequestView.as_view(),
        name="api-facility-quota-request-approve",
    ),
    path(
        f"{F}/quota-requests/<int:pk>/deny/",
        views.DenyRequestView.as_view(),
        name="api-facility-quota-request-deny",
    ),
    path(f"{F}/audit/", views.AuditView.as_view(), name="api-facility-audit"),
]
