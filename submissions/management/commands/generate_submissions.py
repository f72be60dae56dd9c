"""Fill a facility with many realistic submissions, for the queue benchmark and load tests.

    manage.py generate_submissions --count 100000 --facility bench

Everything goes in with bulk_create in batches of 5,000 (100,000 submissions, ~200,000 files
and the people behind them: about two minutes on PostgreSQL on a busy 2-core machine, most of
it the database writing). Idempotent per facility: it only adds what is missing up to
--count.
"""

from __future__ import annotations

import datetime
import random
import time
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from submissions.accounts.models import Facility, Membership, ResearchGroup, Role, User
from submissions.lifecycle.models import Submission, SubmissionStatus
from submissions.uploads.models import DataFile, FileStatus

S = SubmissionStatus
# Roughly what a facility a few years old looks like: most work is published.
STATES = [
    (S.PUBLISHED, 66),
    (S.SUBMITTED, 8),
    (S.IN_REVIEW, 6),
    (S.CHANGES_REQUESTED, 4),
    (S.APPROVED, 2),
    (S.PROCESSING, 1),
    (S.PROCESSING_FAILED, 1),
    (S.REJECTED, 5),
    (S.WITHDRAWN, 2),
    (S.DRAFT, 5),
]
ORGANISMS = [
    ("Homo sapiens", 9606, ["HeLa", "U2OS", "HEK293", "RPE-1", "MCF-7"]),
    ("Mus musculus", 10090, ["NIH/3T3", "primary neurons", "ES cells"]),
    ("Danio rerio", 7955, ["whole embryo", "larva 5 dpf"]),
    ("Drosophila melanogaster", 7227, ["wing disc", "egg chamber", "S2 cells"]),
    ("Arabidopsis thaliana", 3702, ["root tip", "leaf epidermis"]),
    ("Saccharomyces cerevisiae", 4932, ["BY4741"]),
]
METHODS = [
    ("confocal microscopy", "Zeiss LSM 980"),
    ("spinning-disk confocal microscopy", "Nikon CSU-W1"),
    ("light-sheet fluorescence microscopy", "Zeiss Lightsheet 7"),
    ("widefield fluorescence microscopy", "Leica THUNDER"),
    ("STED microscopy", "Abberior Facility Line"),
    ("serial block-face scanning electron microscopy", "Thermo Fisher VolumeScope 2"),
    ("cryo-electron tomography", "Titan Krios G4"),
]
TOPICS = [
    "Mitochondrial dynamics",
    "Nuclear pore distribution",
    "Actin cortex remodelling",
    "Microtubule organisation",
    "Cilia formation",
    "Stress granule assembly",
    "Golgi fragmentation",
    "Synapse morphology",
    "Cell migration",
    "Mitotic spindle orientation",
    "Endosomal trafficking",
    "Tissue morphogenesis",
]
CONDITIONS = ["under hypoxia", "after drug treatment", "during mitosis", "at 37 °C", "time-lapse"]
FIRST = ["Ada", "Ben", "Chen", "Dana", "Emil", "Fatima", "Goran", "Hana", "Ivo", "Jun", "Kofi"]
LAST = ["Okafor", "Schmidt", "Tanaka", "Novak", "Silva", "Haddad", "Larsen", "Moreau", "Ivanova"]
LICENCES = ["CC-BY-4.0", "CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0"]
FORMATS = [
    (".ome.tif", "OME-TIFF"),
    (".czi", "Zeiss CZI"),
    (".nd2", "Nikon ND2"),
    (".lif", "Leica LIF"),
    (".tif", "TIFF"),
]


class Command(BaseCommand):
    help = "Generate realistic submissions in bulk (for benchmarks)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--facility", default="bench")
        parser.add_argument("--researchers", type=int, default=400)
        parser.add_argument("--curators", type=int, default=6)
        parser.add_argument("--batch", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=6)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        rng = random.Random(options["seed"])  # noqa: S311 - test data, not secrets
        facility, _ = Facility.objects.get_or_create(
            slug=options["facility"], defaults={"name": f"Benchmark facility {options['facility']}"}
        )
        researchers, curators = self._people(facility, options, rng)
        existing = Submission.objects.filter(facility=facility).count()
        missing = max(0, options["count"] - existing)
        made = 0
        while made < missing:
            size = min(options["batch"], missing - made)
            self._batch(facility, researchers, curators, existing + made, size, rng)
            made += size
            self.stdout.write(f"  {existing + made:,} submissions", ending="\r")
        self.stdout.write(
            f"{facility.slug}: {existing + made:,} submissions ({made:,} new) "
            f"in {time.monotonic() - started:.1f} s"
        )

    def _people(
        self, facility: Facility, options: dict[str, Any], rng: random.Random
    ) -> tuple[list[User], list[User]]:
        slug = facility.slug
        password = make_password("aperture-bench")
        groups = [
            ResearchGroup.objects.get_or_create(facility=facility, name=f"{name} lab")[0]
            for name in LAST
        ]
        wanted = [
            (f"researcher{n}@{slug}.bench", Role.RESEARCHER) for n in range(options["researchers"])
        ] + [(f"curator{n}@{slug}.bench", Role.CURATOR) for n in range(options["curators"])]
        have = set(
            User.objects.filter(email__endswith=f"@{slug}.bench").values_list("email", flat=True)
        )
        User.objects.bulk_create(
            [
                User(
                    email=email,
                    username=email,
                    password=password,
                    full_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                )
                for email, _role in wanted
                if email not in have
            ]
        )
        users = {u.email: u for u in User.objects.filter(email__endswith=f"@{slug}.bench")}
        members = set(
            Membership.objects.filter(facility=facility).values_list("user_id", flat=True)
        )
        Membership.objects.bulk_create(
            [
                Membership(
                    user=users[email],
                    facility=facility,
                    role=role,
                    group=rng.choice(groups) if role == Role.RESEARCHER else None,
                )
                for email, role in wanted
                if users[email].pk not in members
            ]
        )
        researchers = [users[e] for e, r in wanted if r == Role.RESEARCHER]
        curators = [users[e] for e, r in wanted if r == Role.CURATOR]
        return researchers, curators

    @transaction.atomic
    def _batch(
        self,
        facility: Facility,
        researchers: list[User],
        curators: list[User],
        start: int,
        size: int,
        rng: random.Random,
    ) -> None:
        now = timezone.now()
        states = [s for s, _ in STATES]
        weights = [w for _, w in STATES]
        submissions, files = [], []
        for n in range(start, start + size):
            status = rng.choices(states, weights)[0]
            owner = rng.choice(researchers)
            organism, taxon, samples = rng.choice(ORGANISMS)
            method, instrument = rng.choice(METHODS)
            topic = rng.choice(TOPICS)
            sample = rng.choice(samples)
            title = f"{topic} in {organism} {sample} {rng.choice(CONDITIONS)}, series {n}"
            waiting = status in (S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED)
            age_days = rng.uniform(0, 60) if waiting else rng.uniform(1, 1100)
            submitted_at = None if status == S.DRAFT else now - datetime.timedelta(days=age_days)
            submission = Submission(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                facility=facility,
                owner=owner,
                title=title[:300],
                status=status,
                submitted_at=submitted_at,
                accession=f"{settings.ACCESSION_PREFIX}-{facility.pk:03d}{n:07d}"
                if status == S.PUBLISHED
                else None,
                assignee=rng.choice(curators)
                if status == S.IN_REVIEW or (waiting and rng.random() < 0.3)
                else None,
                metadata=self._metadata(
                    rng, owner, topic, organism, taxon, sample, method, instrument
                ),
            )
            submissions.append(submission)
            for k in range(rng.choice([1, 1, 2, 2, 3, 4])):
                suffix, kind = rng.choice(FORMATS)
                failed = status in (S.SUBMITTED, S.IN_REVIEW) and rng.random() < 0.05
                submission.has_failed_files = submission.has_failed_files or failed
                files.append(
                    DataFile(
                        submission=submission,
                        name=f"{sample.replace(' ', '_').replace('/', '-')}_{k:02d}{suffix}",
                        storage_key=f"uploads/{submission.id}/{n}-{k}",
                        size=rng.randint(5_000_000, 40_000_000_000),
                        sha256=f"{rng.getrandbits(256):064x}",
                        detected_type=kind,
                        status=FileStatus.FAILED if failed else FileStatus.INSPECTED,
                        failure_message="Not a readable image." if failed else "",
                        inspection={
                            "shape": [
                                rng.randint(1, 200),
                                rng.randint(1, 4),
                                rng.randint(1, 120),
                                2048,
                                2048,
                            ],
                            "axes": "TCZYX",
                            "dtype": "uint16",
                        },
                    )
                )
        Submission.objects.bulk_create(submissions)
        DataFile.objects.bulk_create(files)

    @staticmethod
    def _metadata(
        rng: random.Random,
        owner: User,
        topic: str,
        organism: str,
        taxon: int,
        sample: str,
        method: str,
        instrument: str,
    ) -> dict[str, Any]:
        authors = [
            {
                "name": owner.full_name,
                "email": owner.email,
                "orcid": "-".join(
                    [
                        "0000",
                        f"000{rng.randint(1, 3)}",
                        str(rng.randint(1000, 9999)),
                        str(rng.randint(1000, 9999)),
                    ]
                ),
                "affiliation": "Institute of Cell Biology",
            }
        ] + [
            {
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "orcid": "",
                "affiliation": rng.choice(["Institute of Cell Biology", "Department of Physics"]),
            }
            for _ in range(rng.randint(0, 4))
        ]
        return {
            "study": {
                "description": f"{topic} imaged by {method} in {organism} ({sample}).",
                "keywords": [topic.lower(), method, organism],
                "license": rng.choice(LICENCES),
                "funding": [{"funder": "ERC", "grant": f"ERC-{rng.randint(100000, 999999)}"}],
            },
            "authors": authors,
            "biosample": {"organism": organism, "ncbi_taxon": taxon, "sample": sample},
            "specimen": {"preparation": rng.choice(["fixed", "live", "cleared", "cryo-fixed"])},
            "image_acquisition": {
                "imaging_method": method,
                "instrument": instrument,
                "channels": [
                    {"name": name, "wavelength_nm": wl}
                    for name, wl in rng.sample(
                        [("DAPI", 405), ("GFP", 488), ("mCherry", 561), ("Cy5", 640)],
                        rng.randint(1, 3),
                    )
                ],
            },
        }
