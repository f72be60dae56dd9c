"""The public catalogue: every released dataset, for people and harvesters to find.

A dataset is listed once it is published and its release date (the embargo) has come; what an
embargoed dataset is about is not listed, as its landing page does not show it either.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from submissions.models import JobState, Submission, SubmissionStatus

MAX_QUERY = 200


def released_datasets(*, q: str = "") -> QuerySet[Submission]:
    """Published, released datasets, newest first; `q` matches title, keywords or accession."""
    today = timezone.localdate().isoformat()
    released = Q(metadata__study__release_date__lte=today) | Q(
        metadata__study__release_date__isnull=True
    )
    found = Submission.objects.filter(
        released,
        status=SubmissionStatus.PUBLISHED,
        publication__state=JobState.SUCCEEDED,
    ).select_related("facility", "publication")
    q = q.strip()[:MAX_QUERY]
    if q:
        found = found.filter(
            Q(title__icontains=q)
            | Q(accession__iexact=q)
            | Q(metadata__study__keywords__icontains=q)
            | Q(metadata__study__description__icontains=q)
        )
    return found.order_by("-publication__marker_written_at", "-pk")
