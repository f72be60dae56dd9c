"""HTML routes of processing progress and of published datasets."""

from __future__ import annotations

from django.urls import path

from submissions.views import datasets, processing

urlpatterns = [
    path(
        "submissions/<uuid:submission_id>/processing/",
        processing.page,
        name="submission-processing",
    ),
    path(
        "submissions/<uuid:submission_id>/processing/partial/",
        processing.partial,
        name="submission-processing-partial",
    ),
    path(
        "submissions/<uuid:submission_id>/processing/retry/",
        processing.retry,
        name="submission-processing-retry",
    ),
    path(
        "submissions/<uuid:submission_id>/files/<uuid:file_id>/preview.png",
        processing.file_preview,
        name="submission-file-preview",
    ),
    path("datasets/", datasets.catalogue, name="dataset-catalogue"),
    path("datasets/<str:accession>/", datasets.landing, name="dataset-landing"),
    path("datasets/<str:accession>/metadata.json", datasets.metadata_json, name="dataset-json"),
    path(
        "datasets/<str:accession>/files/<uuid:file_id>/original",
        datasets.original,
        name="dataset-original",
    ),
    path(
        "datasets/<str:accession>/files/<uuid:file_id>/thumbnail.png",
        datasets.thumbnail,
        name="dataset-thumbnail",
    ),
    path(
        "datasets/<str:accession>/files/<uuid:file_id>.ome.zarr/",
        datasets.zarr_object,
        {"path": ""},
        name="dataset-zarr-root",
    ),
    path(
        "datasets/<str:accession>/files/<uuid:file_id>.ome.zarr/<path:path>",
        datasets.zarr_object,
        name="dataset-zarr-object",
    ),
]
