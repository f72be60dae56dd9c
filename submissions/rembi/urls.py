"""Routes of REMBI: the published schemas and vocabularies (under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from submissions.rembi import api

urlpatterns: list[object] = []

api_urlpatterns = [
    path("rembi/schema/", api.RembiSchemaView.as_view(), name="api-rembi-schema"),
    path("pagetab/schema/", api.PageTabSchemaView.as_view(), name="api-pagetab-schema"),
    path(
        "vocabularies/imaging-methods/",
        api.ImagingMethodsView.as_view(),
        name="api-imaging-methods",
    ),
    path("vocabularies/organisms/", api.OrganismsView.as_view(), name="api-organisms"),
    path("vocabularies/licences/", api.LicencesView.as_view(), name="api-licences"),
]
