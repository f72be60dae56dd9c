"""HTML routes of facility administration and of a person's own usage."""

from __future__ import annotations

from django.urls import path

from submissions.views import facility, facility_members, usage

F = "facility/<slug:slug>"

urlpatterns = [
    path("account/usage/", usage.my_usage, name="my-usage"),
    path(
        "account/usage/requests/<int:pk>/withdraw/",
        usage.withdraw_request,
        name="my-usage-withdraw",
    ),
    path("facility/", facility.choose, name="facility-choose"),
    path("facility/invitations/<str:token>/", usage.invitation, name="facility-invitation"),
    path(f"{F}/", facility.dashboard, name="facility-dashboard"),
    path(f"{F}/members/", facility_members.members, name="facility-members"),
    path(f"{F}/members/<int:pk>/", facility_members.change, name="facility-member-change"),
    path(f"{F}/members/<int:pk>/remove/", facility_members.remove, name="facility-member-remove"),
    path(
        f"{F}/invitations/<int:pk>/revoke/",
        facility_members.revoke,
        name="facility-invitation-revoke",
    ),
    path(f"{F}/quotas/", facility.quotas, name="facility-quotas"),
    path(f"{F}/requests/", facility.requests, name="facility-requests"),
    path(f"{F}/requests/<int:pk>/decide/", facility.decide, name="facility-request-decide"),
    path(f"{F}/audit/", facility.audit, name="facility-audit"),
    path(f"{F}/usage.csv", facility.chargeback_csv, name="facility-chargeback"),
]
