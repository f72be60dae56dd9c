from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from submissions.accounts.models import Facility, Membership, ResearchGroup, Role, User
from submissions.lifecycle.models import Submission
from submissions.quotas.models import QuotaAccount, QuotaScope
from submissions.uploads.models import DataFile, FileStatus
from submissions.uploads.services import failures
from tests.rembi_documents import complete_rembi

__all__ = ["Facility"]


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class FacilityFactory(DjangoModelFactory[Facility]):
    class Meta:
        model = Facility

    name = factory.Sequence(lambda n: f"Imaging Facility {n}")
    slug = factory.Sequence(lambda n: f"facility-{n}")


class GroupFactory(DjangoModelFactory[ResearchGroup]):
    class Meta:
        model = ResearchGroup

    facility = factory.SubFactory(FacilityFactory)
    name = factory.Sequence(lambda n: f"Lab {n}")


def member(*, facility: Facility, role: str, group: ResearchGroup | None = None) -> User:
    user = UserFactory()
    if role == Role.RESEARCHER and group is None:
        group = ResearchGroup.objects.filter(facility=facility).first() or GroupFactory(
            facility=facility
        )
    Membership.objects.create(user=user, facility=facility, role=role, group=group)
    return user


class SubmissionFactory(DjangoModelFactory[Submission]):
    class Meta:
        model = Submission

    title = factory.Sequence(lambda n: f"Mitochondrial dynamics in HeLa cells, series {n}")
    owner = factory.SubFactory(UserFactory)
    facility = factory.SubFactory(FacilityFactory)


class DataFileFactory(DjangoModelFactory[DataFile]):
    class Meta:
        model = DataFile
        skip_postgeneration_save = True

    submission = factory.SubFactory(SubmissionFactory)
    name = factory.Sequence(lambda n: f"image_{n}.ome.tif")
    storage_key = factory.Sequence(lambda n: f"uploads/test/{n}")
    size = 1024

    @factory.post_generation
    def failed_flag(self, create: bool, extracted: object, **kwargs: object) -> None:
        """A failed file marks its submission, as the services that fail files do."""
        if create and self.status == FileStatus.FAILED:
            failures.refresh(submission_id=self.submission_id)


def quota(
    *,
    facility: Facility,
    hard: int | None = None,
    soft: int | None = None,
    area: str = "staging",
    group: ResearchGroup | None = None,
    user: User | None = None,
) -> QuotaAccount:
    """Set a limit directly (the admin service is tested on its own)."""
    scope = QuotaScope.USER if user else QuotaScope.GROUP if group else QuotaScope.FACILITY
    account, _ = QuotaAccount.objects.get_or_create(
        facility=facility, scope=scope, area=area, group=group, user=user
    )
    account.soft_limit, account.hard_limit = soft, hard
    account.save()
    return account


# --- Curation (issue 6) ------------------------------------------------------------------


def rembi_metadata(n: int = 0) -> dict[str, object]:
    """A complete REMBI description, shaped as the REMBI service stores it, varied by `n`."""
    from submissions.rembi import services as rembi

    document, errors = rembi.clean(
        complete_rembi(title=f"Mitochondrial dynamics in HeLa cells under oxidative stress, {n}")
    )
    assert not errors, errors
    return document


class CompleteSubmissionFactory(SubmissionFactory):
    """A draft that would pass any completeness check: title, metadata, a verified file."""

    class Meta:
        skip_postgeneration_save = True

    metadata = factory.Sequence(rembi_metadata)
    title = factory.LazyAttribute(lambda submission: submission.metadata["study"]["title"])

    @factory.post_generation
    def with_file(obj: Submission, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted is not False:
            DataFileFactory(
                submission=obj,
                name="cells_t0.ome.tif",
                size=52_428_800,
                sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                detected_type="image/tiff",
                status="inspected",
                inspection={
                    "format_name": "OME-TIFF",
                    "series": [
                        {
                            "index": 0,
                            "sizes": {"T": 1, "C": 2, "Z": 30, "Y": 512, "X": 512},
                            "pixel_type": "uint16",
                            "physical_sizes": {"x": 0.1, "y": 0.1, "z": 0.3, "unit": "µm"},
                            "channel_names": ["DAPI", "GFP"],
                        }
                    ],
                },
            )
