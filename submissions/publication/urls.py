"""Routes of published datasets: the catalogue, landing pages, metadata and every object."""

from __future__ import annotations

from django.urls import path

from submissions.publication import views

D = "datasets/<str:accession>"

urlpatterns = [
    path("datasets/", views.catalogue, name="dataset-catalogue"),
    path(f"{D}/", views.landing, name="dataset-landing"),
    path(f"{D}/metadata.json", views.metadata_json, name="dataset-json"),
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
]

api_urlpatterns: list[object] = []
