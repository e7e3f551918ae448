"""Responsibility: which organisation and officer follow a household, and handovers.

Staff assign one household or many at once; a household that someone already follows is handed
over: its active assignment ends with the reason, a new one begins, and the history keeps both.
An officer may only be given households inside their own scope. All or nothing: one refusal
and no household of the action changes.
"""

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select

from app.extensions import db
from app.models import Assignment, Household, Organisation, User
from app.models.users import Role
from app.services import audit, clock, notifications, scope
from app.services.households import RegistryError

ASSIGNERS = frozenset({Role.STAFF, Role.ADMIN})
OFFICER_ROLES = (Role.STAFF.value, Role.SUPERVISOR.value)


def officer_conditions(user: User, unit_ids: AbstractSet[int] | None = None) -> list[ColumnElement[bool]]:
    """The conditions on ``User`` that select the active officers (staff and supervisors) of the
    user's area, or of ``unit_ids`` within it: whom households and tasks may be given to."""
    return [scope.scope_clause(User, user, unit_ids), User.active.is_(True), User.role.in_(OFFICER_ROLES)]


@dataclass
class AssignResult:
    assigned: int = 0  # followed by nobody before
    handed_over: int = 0  # followed by someone else before
    unchanged: int = 0  # already followed by this organisation and officer

    @property
    def changed(self) -> int:
        return self.assigned + self.handed_over


def assign_households(
    user: User,
    household_ids: Iterable[int],
    organisation_id: int | None,
    officer_id: int | None,
    *,
    reason: str | None = None,
    ip: str | None = None,
) -> AssignResult:
    """Give the households (those of ``household_ids`` in the user's scope) to an organisation
    and, optionally, an officer.

    :raises RegistryError: not allowed, organisation or officer out of scope, a household outside
        the officer's scope, or a handover without a reason; nothing is changed then.
    """
    if user.role not in ASSIGNERS:
        raise RegistryError("organisation_id", "assign_not_allowed")
    organisation = organisation_in_scope(user, organisation_id)
    officer = officer_in_scope(user, officer_id)
    households = households_in_scope(user, household_ids)
    if officer is not None:
        reach = scope.unit_index().family(officer.scope_unit_id)
        if any(h.unit_id not in reach for h in households):
            raise RegistryError("officer_id", "officer_not_for_household")
    active = {
        a.household_id: a
        for a in db.session.scalars(
            select(Assignment).where(
                Assignment.household_id.in_([h.id for h in households]), Assignment.end_date.is_(None)
            )
        )
    }
    reason = (reason or "").strip() or None
    result = AssignResult()
    changed = []
    today, now = clock.today(), audit.utcnow()
    for household in households:
        current = active.get(household.id)
        if current is not None and (current.organisation_id, current.officer_id) == (
            organisation.id,
            officer_id,
        ):
            result.unchanged += 1
            continue
        if current is not None:
            if reason is None:
                raise RegistryError("reason", "handover_reason_required")
            current.end_date, current.handover_reason = today, reason
            db.session.flush()  # the partial unique index allows one active assignment
            result.handed_over += 1
        else:
            result.assigned += 1
        db.session.add(
            Assignment(
                household_id=household.id,
                organisation_id=organisation.id,
                officer_id=officer_id,
                start_date=today,
                created_by_id=user.id,
                created_at=now,
            )
        )
        before = {
            "organisation_id": getattr(current, "organisation_id", None),
            "officer_id": getattr(current, "officer_id", None),
        }
        after = {"organisation_id": organisation.id, "officer_id": officer_id}
        changes = audit.diff(before, after) | ({"handover_reason": [None, reason]} if current else {})
        audit.record("assign", actor=user, ip=ip, obj=household, changes=changes)
        changed.append(household)
    db.session.flush()
    notifications.households_assigned(user, officer_id, changed)
    return result


def organisation_in_scope(user: User, organisation_id: int | None) -> Organisation:
    """The active organisation of the user's area with this id (else RegistryError)."""
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation is None or not organisation.active:
        raise RegistryError("organisation_id", "organisation_out_of_scope")
    if organisation.unit_id not in scope.scope_unit_ids(user):
        raise RegistryError("organisation_id", "organisation_out_of_scope")
    return organisation


def officer_in_scope(user: User, officer_id: int | None) -> User | None:
    """The active officer (staff or supervisor) of the user's area with this id; None for none."""
    if not officer_id:
        return None
    officer = db.session.get(User, officer_id)
    if (
        officer is None
        or not officer.active
        or officer.role not in OFFICER_ROLES
        or officer.scope_unit_id not in scope.scope_unit_ids(user)
    ):
        raise RegistryError("officer_id", "officer_out_of_scope")
    return officer


def households_in_scope(user: User, household_ids: Iterable[int]) -> list[Household]:
    """The households of ``household_ids``, by code; RegistryError if none or one is outside scope."""
    ids = sorted({int(i) for i in household_ids})
    if not ids:
        raise RegistryError("households", "no_household_selected")
    found = list(db.session.scalars(scope.scoped(Household, user).where(Household.id.in_(ids))))
    if len(found) != len(ids):
        raise RegistryError("households", "household_out_of_scope")
    return sorted(found, key=lambda h: h.code)
