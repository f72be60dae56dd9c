"""REMBI documents for tests, without Django (the acceptance run imports them too)."""

from __future__ import annotations


def complete_rembi(**study: object) -> dict[str, object]:
    """A REMBI description complete enough to submit (release date a year from today)."""
    import datetime

    release = datetime.date.today() + datetime.timedelta(days=365)
    return {
        "study": {
            "title": "Mitochondrial dynamics in HeLa cells under oxidative stress",
            "description": "Live-cell confocal time-lapse of mitochondria in HeLa cells "
            "treated with hydrogen peroxide, with untreated controls.",
            "keywords": ["mitochondria", "live imaging"],
            "licence": "https://creativecommons.org/licenses/by/4.0/",
            "release_date": release.isoformat(),
            "authors": [
                {
                    "name": "Josiah Carberry",
                    "email": "josiah@example.org",
                    "contact": True,
                    "role": "corresponding author",
                    "orcid": "0000-0002-1825-0097",
                    "affiliation": {"name": "Brown University", "ror": "https://ror.org/05gq02987"},
                }
            ],
            "publications": [
                {"title": "REMBI", "doi": "10.1038/s41592-021-01166-8", "year": "2021"}
            ],
            **study,
        },
        "biosamples": [
            {
                "key": "hela",
                "title": "HeLa cells",
                "organism": {"scientific_name": "Homo sapiens", "taxon_id": "9606"},
                "biological_entity": "HeLa cell line",
                "experimental_variables": ["hydrogen peroxide 100 µM"],
            }
        ],
        "specimens": [
            {"key": "live", "title": "Live cells", "sample_preparation": "Seeded on glass dishes."}
        ],
        "acquisitions": [
            {
                "key": "confocal",
                "title": "Spinning disk",
                "imaging_method": {
                    "name": "spinning disk confocal microscopy",
                    "id": "FBbi:00000253",
                },
                "instrument": "Nikon Ti2 with Yokogawa CSU-W1",
                "parameters": "60x/1.4 oil, 488 nm, 100 ms exposure, 2 s interval",
            }
        ],
        "components": [
            {
                "name": "Time-lapse",
                "description": "Time-lapse series of treated and control cells.",
                "biosample": "hela",
                "specimen": "live",
                "acquisition": "confocal",
            }
        ],
    }


__all__ = ["complete_rembi"]
