"""The public datasets API's shapes, each read from a `DatasetRecord`, and a curator's inputs."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from submissions.publication.formats.record import DatasetRecord
from submissions.publication.services.release import MAX_REASON


class DatasetFacilitySerializer(serializers.Serializer[Any]):
    slug = serializers.CharField()
    name = serializers.CharField()
    ror = serializers.CharField(allow_blank=True)


class DatasetOrganismSerializer(serializers.Serializer[Any]):
    taxon_id = serializers.CharField()
    scientific_name = serializers.CharField()
    iri = serializers.URLField(help_text="The NCBITaxon IRI")


class DatasetMethodSerializer(serializers.Serializer[Any]):
    term_id = serializers.CharField(help_text="FBbi term id, e.g. FBbi:00000253")
    name = serializers.CharField()
    iri = serializers.URLField(help_text="The FBbi IRI")


class DatasetAuthorSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    orcid = serializers.CharField(allow_blank=True)
    affiliation = serializers.CharField(allow_blank=True)
    ror = serializers.CharField(allow_blank=True)
    email = serializers.CharField(allow_blank=True, help_text="Only for the contact author")


class DatasetFileSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField(allow_blank=True)
    original_url = serializers.CharField(allow_blank=True)
    ome_zarr_url = serializers.CharField(allow_blank=True, source="zarr_url")
    ome_zarr_bytes = serializers.IntegerField(allow_null=True, source="zarr_bytes")
    ome_zarr_objects = serializers.IntegerField(allow_null=True, source="zarr_objects")
    thumbnail_url = serializers.CharField(allow_blank=True)


class DatasetSerializer(serializers.Serializer[DatasetRecord]):
    accession = serializers.CharField()
    url = serializers.URLField(help_text="The landing page")
    title = serializers.CharField()
    description = serializers.CharField()
    keywords = serializers.ListField(child=serializers.CharField())
    licence = serializers.CharField(source="licence_url")
    released_on = serializers.DateField()
    doi = serializers.CharField(allow_blank=True, help_text="Once findable; empty until then")
    doi_pending = serializers.BooleanField()
    facility = serializers.SerializerMethodField()
    organisms = DatasetOrganismSerializer(many=True)
    imaging_methods = DatasetMethodSerializer(many=True, source="methods")
    file_count = serializers.SerializerMethodField()
    total_bytes = serializers.IntegerField()
    thumbnail_urls = serializers.ListField(child=serializers.CharField())
    ro_crate_url = serializers.SerializerMethodField()

    def get_facility(self, record: DatasetRecord) -> dict[str, str]:
        return {
            "slug": record.facility_slug,
            "name": record.facility_name,
            "ror": record.facility_ror,
        }

    def get_file_count(self, record: DatasetRecord) -> int:
        return len(record.files)

    def get_ro_crate_url(self, record: DatasetRecord) -> str:
        return record.url + "ro-crate-metadata.json"


class DatasetDetailSerializer(DatasetSerializer):
    authors = DatasetAuthorSerializer(many=True)
    citation = serializers.CharField()
    files = DatasetFileSerializer(many=True)


class DatasetQuerySerializer(serializers.Serializer[Any]):
    q = serializers.CharField(required=False, max_length=200, help_text="Words in the title")
    keyword = serializers.CharField(required=False, max_length=100)
    organism = serializers.CharField(
        required=False, max_length=200, help_text="Scientific or common name, or NCBI taxon id"
    )
    imaging_method = serializers.CharField(
        required=False, max_length=300, help_text="FBbi name or id, e.g. FBbi:00000253"
    )
    facility = serializers.SlugField(required=False)
    released_after = serializers.DateField(required=False, help_text="On or after this day")
    released_before = serializers.DateField(required=False, help_text="On or before this day")


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=MAX_REASON)


class ExtendEmbargoSerializer(ReasonSerializer):
    until = serializers.DateField()


class FacilityPublicationSettingsSerializer(serializers.Serializer[Any]):
    ror = serializers.CharField(required=False, allow_blank=True, max_length=100)
    show_embargoed_titles = serializers.BooleanField(required=False)
