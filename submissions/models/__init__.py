from __future__ import annotations

from .accounts import Facility, Membership, ResearchGroup, Role, User
from .event import SubmissionEvent
from .facility_admin import FacilityAuditEvent, FacilityInvitation
from .files import ChecksumAlgorithm, DataFile, FileStatus, UploadPart
from .processing import AccessionCounter, ConversionJob, ErrorKind, JobState, Publication
from .quota import QuotaReservation, ReservationState
from .quota_accounts import (
    QuotaAccount,
    QuotaIncreaseRequest,
    QuotaScope,
    RequestStatus,
    StorageArea,
    UsageSnapshot,
)
from .review import (
    ChangeRequest,
    ChangeRequestPoint,
    NotificationKind,
    NotificationPreference,
    ReviewComment,
    SentNotification,
    SubmissionSnapshot,
)
from .submission import Submission, SubmissionStatus

__all__ = [
    "AccessionCounter",
    "ChangeRequest",
    "ChangeRequestPoint",
    "ChecksumAlgorithm",
    "ConversionJob",
    "DataFile",
    "ErrorKind",
    "Facility",
    "FacilityAuditEvent",
    "FacilityInvitation",
    "FileStatus",
    "JobState",
    "Membership",
    "NotificationKind",
    "NotificationPreference",
    "Publication",
    "QuotaAccount",
    "QuotaIncreaseRequest",
    "QuotaReservation",
    "QuotaScope",
    "RequestStatus",
    "ResearchGroup",
    "ReservationState",
    "ReviewComment",
    "Role",
    "SentNotification",
    "StorageArea",
    "Submission",
    "SubmissionEvent",
    "SubmissionSnapshot",
    "SubmissionStatus",
    "UploadPart",
    "UsageSnapshot",
    "User",
]
