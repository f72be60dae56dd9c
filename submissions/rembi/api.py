"""Published schemas and the vocabularies the REMBI forms use, all served from files shipped
with Aperture."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from submissions.rembi import services
from submissions.rembi.services import vocab

QUERY = OpenApiParameter("q", str, description="Words to look for; empty lists everything")


class RembiSchemaView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT}, description="JSON Schema of the REMBI export."
    )
    def get(self, request: Request) -> Response:
        return Response(services.rembi_json_schema(schema_url=request.build_absolute_uri()))


class PageTabSchemaView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT}, description="JSON Schema of the PageTab export."
    )
    def get(self, request: Request) -> Response:
        return Response(services.pagetab_json_schema())


class ImagingMethodsView(APIView):
    """FBbi imaging methods (the full imaging-method and resolution-enhancing branches)."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=[QUERY], responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        terms = vocab.imaging_methods()
        rows = [(t.id, t.name, " ".join(t.synonyms)) for t in terms]
        hits = vocab.search(rows, request.query_params.get("q", ""), limit=len(rows))
        document = vocab.fbbi_document()
        return Response(
            {
                "source": document["source"],
                "version": document["version"],
                "licence": document["licence"],
                "attribution": document["attribution"],
                "results": [
                    {
                        "id": terms[i].id,
                        "name": terms[i].name,
                        "synonyms": list(terms[i].synonyms),
                        "branch": terms[i].branch,
                    }
                    for i in hits
                ],
            }
        )


class OrganismsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[QUERY], responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        items = vocab.organisms()
        rows = [(o.taxon_id, o.scientific_name, o.common_name) for o in items]
        hits = vocab.search(rows, request.query_params.get("q", ""), limit=len(rows))
        return Response(
            {
                "results": [
                    {
                        "taxon_id": items[i].taxon_id,
                        "scientific_name": items[i].scientific_name,
                        "common_name": items[i].common_name,
                    }
                    for i in hits
                ],
                "note": "Any NCBI Taxonomy id is accepted; these are suggestions.",
            }
        )


class LicencesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response({"results": [{"url": u, "name": n} for u, n in vocab.LICENCES.items()]})
