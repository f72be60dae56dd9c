"""Every model of every domain, for Django, which loads an app's models from here.

Code imports a model from its own domain (`from submissions.uploads.models import DataFile`),
never from this module.
"""

from __future__ import annotations

from submissions.accounts.models import (
    ApiToken,
    Facility,
    FacilityAuditEvent,
    FacilityInvitation,
    Membership,
    ResearchGroup,
    User,
)
from submissions.lifecycle.models import AccessionCounter, Submission, SubmissionEvent
from submissions.notifications.models import NotificationPreference, SentNotification
from submissions.processing.models import ConversionJob
from submissions.publication.models import Publication
from submissions.quotas.models import (
    QuotaAccount,
    QuotaIncreaseRequest,
    QuotaReservation,
    UsageSnapshot,
)
from submissions.review.models import (
    ChangeRequest,
    ChangeRequestPoint,
    ReviewComment,
    SubmissionSnapshot,
)
from submissions.uploads.models import DataFile, RetentionPurge, UploadPart

__all__ = [
    "AccessionCounter",
    "ApiToken",
    "ChangeRequest",
    "ChangeRequestPoint",
    "ConversionJob",
    "DataFile",
    "Facility",
    "FacilityAuditEvent",
    "FacilityInvitation",
    "Membership",
    "NotificationPreference",
    "Publication",
    "QuotaAccount",
    "QuotaIncreaseRequest",
    "QuotaReservation",
    "ResearchGroup",
    "RetentionPurge",
    "ReviewComment",
    "SentNotification",
    "Submission",
    "SubmissionEvent",
    "SubmissionSnapshot",
    "UploadPart",
    "UsageSnapshot",
    "User",
]
