"""Routes of accounts and facility membership: pages, then the API (under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from submissions.accounts import api, views

F = "facility/<slug:slug>"

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/api-token/", views.api_token, name="api-token-page"),
    path("account/api-token/<int:pk>/revoke/", views.revoke_token, name="api-token-revoke"),
    path("account/log-out-everywhere/", views.log_out_everywhere, name="log-out-everywhere"),
    path("facility/", views.choose, name="facility-choose"),
    path("facility/invitations/<str:token>/", views.invitation, name="facility-invitation"),
    path(f"{F}/members/", views.members, name="facility-members"),
    path(f"{F}/members/<int:pk>/", views.change, name="facility-member-change"),
    path(f"{F}/members/<int:pk>/remove/", views.remove, name="facility-member-remove"),
    path(f"{F}/invitations/<int:pk>/revoke/", views.revoke, name="facility-invitation-revoke"),
    path(f"{F}/settings/", views.facility_settings, name="facility-settings"),
    path(f"{F}/audit/", views.audit, name="facility-audit"),
]

A = "facilities/<slug:slug>"

api_urlpatterns = [
    path("me/", api.MeView.as_view(), name="api-me"),
    path("me/tokens/", api.TokensView.as_view(), name="api-tokens"),
    path("me/tokens/<int:pk>/", api.TokenView.as_view(), name="api-token"),
    path(
        "me/log-out-everywhere/", api.LogOutEverywhereView.as_view(), name="api-log-out-everywhere"
    ),
    path("facilities/", api.FacilityListView.as_view(), name="api-facilities"),
    path(
        "invitations/<str:token>/accept/",
        api.InvitationAcceptView.as_view(),
        name="api-invitation-accept",
    ),
    path(f"{A}/members/", api.MembersView.as_view(), name="api-facility-members"),
    path(f"{A}/members/<int:pk>/", api.MemberView.as_view(), name="api-facility-member"),
    path(f"{A}/invitations/", api.InvitationsView.as_view(), name="api-facility-invitations"),
    path(
        f"{A}/invitations/<int:pk>/",
        api.InvitationView.as_view(),
        name="api-facility-invitation",
    ),
    path(f"{A}/settings/", api.FacilitySettingsView.as_view(), name="api-facility-settings"),
    path(f"{A}/audit/", api.AuditView.as_view(), name="api-facility-audit"),
]
