"""Routes of published datasets: the catalogue, landing pages, metadata, RO-Crate, every
object, a curator's actions and deposit package, OAI-PMH, and the public datasets API."""

from __future__ import annotations

from django.urls import path

from submissions.publication import api, views

D = "datasets/<str:accession>"

urlpatterns = [
    path("datasets/", views.catalogue, name="dataset-catalogue"),
    path(f"{D}/", views.landing, name="dataset-landing"),
    path(f"{D}/metadata.json", views.metadata_json, name="dataset-json"),
    path(f"{D}/ro-crate-metadata.json", views.ro_crate, name="dataset-ro-crate"),
    path(f"{D}/curation/<str:action>/", views.curate, name="dataset-curate"),
    path(f"{D}/bia-deposit.zip", views.deposit_package, name="dataset-deposit"),
    path(f"{D}/files/<uuid:file_id>/original", views.original, name="dataset-original"),
    path(f"{D}/files/<uuid:file_id>/thumbnail.png", views.thumbnail, name="dataset-thumbnail"),
    path(
        f"{D}/files/<uuid:file_id>.ome.zarr/",
        views.zarr_object,
        {"path": ""},
        name="dataset-zarr-root",
    ),
    path(
        f"{D}/files/<uuid:file_id>.ome.zarr/<path:path>",
        views.zarr_object,
        name="dataset-zarr-object",
    ),
    path("oai", views.oai_pmh, name="oai-pmh"),
]

api_urlpatterns: list[object] = [
    path("datasets/", api.DatasetList.as_view(), name="api-datasets"),
    path("datasets/<str:accession>/", api.DatasetDetail.as_view(), name="api-dataset"),
    path(
        "datasets/<str:accession>/release/",
        api.ReleaseEarly.as_view(),
        name="api-dataset-release",
    ),
    path(
        "datasets/<str:accession>/extend-embargo/",
        api.ExtendEmbargo.as_view(),
        name="api-dataset-extend",
    ),
    path("datasets/<str:accession>/withdraw/", api.Withdraw.as_view(), name="api-dataset-withdraw"),
    path(
        "facilities/<slug:slug>/publication-settings/",
        api.FacilityPublicationSettings.as_view(),
        name="api-facility-publication-settings",
    ),
    path(
        "datasets/<str:accession>/bia-deposit/",
        api.DepositPackage.as_view(),
        name="api-dataset-deposit",
    ),
]
