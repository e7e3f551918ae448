"""Every model, imported so that Alembic and the app see one metadata."""

from app.models.assignments import Assignment
from app.models.audit import AuditLog
from app.models.catalogues import PovertyCause, SupportNeed
from app.models.households import Household, Member, household_causes, household_needs
from app.models.notifications import Notification
from app.models.reviews import ReviewRecord, review_deprivations
from app.models.standards import Indicator, PovertyStandard
from app.models.tasks import SupportTask, TaskEvidence, TaskNote, TaskType, task_type_causes
from app.models.units import AdminUnit
from app.models.users import LoginThrottle, Organisation, User, UserSession
from app.models.versions import DataVersion

__all__ = [
    "AdminUnit",
    "Assignment",
    "AuditLog",
    "DataVersion",
    "Household",
    "Indicator",
    "LoginThrottle",
    "Member",
    "Notification",
    "Organisation",
    "PovertyCause",
    "PovertyStandard",
    "ReviewRecord",
    "SupportNeed",
    "SupportTask",
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
