"""Every model, imported so that Alembic and the app see one metadata."""

from app.models.assignments import Assignment
from app.models.audit import AuditLog
from app.models.catalogues import PovertyCause, SupportNeed
from app.models.households import Household, Member, household_causes, household_needs
from app.models.imports import ImportBatch
from app.models.notifications import Notification
from app.models.reports import (
    Holiday,
    ReportDeadline,
    ReportDefinition,
    ReportInstance,
    ReportStatus,
    ReportVersion,
)
from app.models.reviews import (
    MeetingMinutes,
    ReviewEntry,
    ReviewRecord,
    ReviewRequest,
    ReviewRound,
    VillageMeeting,
    review_deprivations,
    review_entry_deprivations,
)
from app.models.standards import Indicator, PovertyStandard
from app.models.targets import Target
from app.models.tasks import SupportTask, TaskEvidence, TaskNote, TaskType, task_type_causes
from app.models.units import AdminUnit
from app.models.users import LoginThrottle, Organisation, User, UserSession
from app.models.versions import DataVersion

__all__ = [
    "review_entry_deprivations",
    "VillageMeeting",
    "ReviewRound",
    "ReviewRequest",
    "ReviewEntry",
    "MeetingMinutes",
    "ImportBatch",
    "AdminUnit",
    "Assignment",
    "AuditLog",
    "DataVersion",
    "Holiday",
    "Household",
    "Indicator",
    "LoginThrottle",
    "Member",
    "Notification",
    "Organisation",
    "PovertyCause",
    "PovertyStandard",
    "ReportDeadline",
    "ReportDefinition",
    "ReportInstance",
    "ReportStatus",
    "ReportVersion",
    "ReviewRecord",
    "SupportNeed",
    "SupportTask",
    "Target",
    "TaskEvidence",
    "TaskNote",
    "TaskType",
    "User",
    "UserSession",
    "household_causes",
    "household_needs",
    "review_deprivations",
    "task_type_causes",
]
