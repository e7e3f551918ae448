"""Officer workload: how many households each officer follows and how many open tasks they carry.

An officer is an active user with the role staff or supervisor. The officers listed are those
whose scope unit lies in the caller's scope (``scope.scope_clause(User, …)``), optionally
narrowed to one unit. What each of them carries is counted only over the caller's scope, through
``scope.scope_clause(Assignment, …)`` and ``scope.scope_clause(SupportTask, …)``: a commune's
staff never learn how much work an officer has elsewhere.

The figures come from three aggregate queries (the page, the count of officers with the busiest
one, and nothing per officer), whatever the number of officers.
"""

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Subquery, func, select

from app.extensions import db
from app.models import Assignment, Household, Organisation, SupportTask, User
from app.models.households import HouseholdStatus
from app.models.tasks import OPEN_STATUSES
from app.services import responsibility, scope
from app.services.households import Page
from app.services.queries import count_if

PER_PAGE = 50


@dataclass(frozen=True, slots=True)
class OfficerLoad:
    """One officer's row: who they are and what they carry within the caller's scope."""

    id: int
    full_name: str
    username: str
    role: str
    organisation: str | None
    scope_unit_id: int
    poor: int
    near_poor: int
    other: int  # followed households that are neither poor nor near poor (escaped, other)
    open_tasks: int
    overdue_tasks: int
    #: households followed, as a whole percentage (0–100) of the busiest officer's (for the bar)
    relative_load: int

    @property
    def households(self) -> int:
        return self.poor + self.near_poor + self.other


def _followed(user: User) -> Subquery:
    """Households followed per officer (active assignments), by status."""
    return (
        select(
            Assignment.officer_id.label("officer_id"),
            count_if(Household.status == HouseholdStatus.POOR.value).label("poor"),
            count_if(Household.status == HouseholdStatus.NEAR_POOR.value).label("near_poor"),
            func.count().label("households"),
        )
        .join(Household, Household.id == Assignment.household_id)
        .where(
            Assignment.end_date.is_(None),
            Assignment.officer_id.is_not(None),
            scope.scope_clause(Assignment, user),
        )
        .group_by(Assignment.officer_id)
        .subquery("followed")
    )


def _carried(user: User, today: date) -> Subquery:
    """Open tasks per officer, and how many of them are past their due date."""
    return (
        select(
            SupportTask.officer_id.label("officer_id"),
            func.count().label("open_tasks"),
            count_if(SupportTask.due_date < today).label("overdue_tasks"),
        )
        .where(
            SupportTask.status.in_([s.value for s in OPEN_STATUSES]),
            SupportTask.officer_id.is_not(None),
            scope.scope_clause(SupportTask, user),
        )
        .group_by(SupportTask.officer_id)
        .subquery("carried")
    )


def _zero(column) -> ColumnElement[int]:
    return func.coalesce(column, 0)


def officer_workload(
    user: User,
    today: date,
    *,
    unit_ids: AbstractSet[int] | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """One page of the active officers in the user's scope, most households first (then by name);
    its items are ``OfficerLoad`` rows.

    :param today: tasks due before it and still open are overdue.
    :param unit_ids: list only the officers whose scope unit is one of these (already within the
        user's scope); their figures still cover the user's whole scope.
    :param page: clamped to the pages there are.
    """
    followed, carried = _followed(user), _carried(user, today)
    conditions = responsibility.officer_conditions(user, unit_ids)
    households = _zero(followed.c.households)
    total, busiest = db.session.execute(
        select(func.count(), func.max(households))
        .select_from(User)
        .outerjoin(followed, followed.c.officer_id == User.id)
        .where(*conditions)
    ).one()
    page = min(max(1, page), max(1, -(-total // per_page)))
    rows = db.session.execute(
        select(
            User.id,
            User.full_name,
            User.username,
            User.role,
            Organisation.name,
            User.scope_unit_id,
            _zero(followed.c.poor),
            _zero(followed.c.near_poor),
            households,
            _zero(carried.c.open_tasks),
            _zero(carried.c.overdue_tasks),
        )
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(followed, followed.c.officer_id == User.id)
        .outerjoin(carried, carried.c.officer_id == User.id)
        .where(*conditions)
        .order_by(households.desc(), User.full_name, User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = [_load(row, busiest or 0) for row in rows]
    return Page(items, total, page, per_page)


def _load(row, busiest: int) -> OfficerLoad:
    officer_id, full_name, username, role, organisation, unit_id, poor, near, households, open_, late = row
    households, poor, near = int(households), int(poor), int(near)
    return OfficerLoad(
        id=officer_id,
        full_name=full_name,
        username=username,
        role=role,
        organisation=organisation,
        scope_unit_id=unit_id,
        poor=poor,
        near_poor=near,
        other=households - poor - near,
        open_tasks=int(open_),
        overdue_tasks=int(late),
        relative_load=_share(households, busiest),
    )


def _share(households: int, busiest: int) -> int:
    """A whole percentage; at least 1 for anyone who follows a household, so that no load looks
    like none at all."""
    if not households or not busiest:
        return 0
    return max(1, round(100 * households / busiest))
