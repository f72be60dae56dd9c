"""Routes of notifications: a person's mail settings, as a page and in the API."""

from __future__ import annotations

from django.urls import path

from submissions.notifications import api, views

urlpatterns = [
    path("account/notifications/", views.notification_settings, name="notification-settings"),
]

api_urlpatterns = [
    path(
        "review/notification-preferences/",
        api.PreferencesView.as_view(),
        name="api-notification-preferences",
    ),
    path(
        "review/notification-kinds/",
        api.KindsView.as_view(),
        name="api-notification-kinds",
    ),
]
