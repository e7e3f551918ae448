"""Coverage: whether someone follows each poor and near-poor household.

A household whose current status is poor or near poor is, by its active assignment
(``end_date`` IS NULL; a partial unique index keeps at most one per household):

* **assigned**: the assignment's officer is active and their scope still contains the
  household's unit; an assignment with an organisation but no officer counts as assigned too
  (the organisation follows the household until it names an officer);
* **orphaned**: the assignment's officer has been deactivated, or has moved to a scope that no
  longer contains the household's unit (a handover is due);
* **unassigned**: there is no active assignment.

"Contains" is the scope rule of ``app.services.scope``: the officer's scope unit, everything
beneath it and every unit merged into it. The households are read through
``scope.scope_clause``; their assignments are reached only through them, and of each officer
only the active flag and the scope unit are read (an officer who moved out of the caller's
scope still orphans a household inside it), never shown.
"""

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum

from sqlalchemy import and_, false, func, or_, select

from app.extensions import db
from app.models import Assignment, Household, User
from app.models.households import HouseholdStatus
from app.models.units import COMMUNE_LEVEL_KINDS, UnitKind
from app.services import scope

#: The statuses coverage counts, in the order they are shown
STATUSES = (HouseholdStatus.POOR, HouseholdStatus.NEAR_POOR)


class Level(StrEnum):
    """What ``coverage_by_unit`` groups by."""

    COMMUNE = "commune"  # any commune-level unit: commune, ward or town
    VILLAGE = "village"


LEVEL_KINDS: dict[str, tuple[str, ...]] = {
    Level.COMMUNE: tuple(COMMUNE_LEVEL_KINDS),
    Level.VILLAGE: (UnitKind.VILLAGE,),
}


class Category(StrEnum):
    """Who follows a household (see the module docstring)."""

    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    ORPHANED = "orphaned"


@dataclass
class Coverage:
    """Households of one status, by who follows them."""

    assigned: int = 0
    unassigned: int = 0
    orphaned: int = 0

    @property
    def total(self) -> int:
        return self.assigned + self.unassigned + self.orphaned


@dataclass
class UnitCoverage:
    """The coverage of the poor and the near-poor households of one unit."""

    unit: scope.Unit
    poor: Coverage = field(default_factory=Coverage)
    near_poor: Coverage = field(default_factory=Coverage)

    def of(self, status: str) -> Coverage:
        return self.poor if status == HouseholdStatus.POOR else self.near_poor

    def add(self, status: str, category: str, count: int) -> None:
        counts = self.of(status)
        setattr(counts, category, getattr(counts, category) + count)

    def as_json(self) -> dict:
        return {status.value: asdict(self.of(status)) for status in STATUSES}


@dataclass(frozen=True)
class _Tally:
    """How many households of one unit and status fall in one coverage category."""

    unit_id: int
    status: str
    category: str
    count: int


def _category(index: scope.UnitIndex, unit_id: int, has_assignment, officer_active, officer_unit_id) -> str:
    if not has_assignment:
        return "unassigned"
    if officer_unit_id is None:  # an organisation without an officer follows the household
        return "assigned"
    if not officer_active or unit_id not in index.family(officer_unit_id):
        return "orphaned"
    return "assigned"


def category_clause(category: str):
    """A WHERE condition on ``Household``: the households in ``category``, by the rule the
    counts use, so that a figure of the coverage view and the list it links to agree.

    The officer's scope test is written out per scope unit that officers of active assignments
    have (a few hundred at most): ``scope_unit_id = s AND unit_id IN family(s)``.

    :raises ValueError: for an unknown category.
    """
    category = Category(category)
    active = select(Assignment.id).where(
        Assignment.household_id == Household.id, Assignment.end_date.is_(None)
    )
    if category is Category.UNASSIGNED:
        return ~active.exists()
    index = scope.unit_index()
    officer_units = db.session.scalars(
        select(User.scope_unit_id)
        .join(Assignment, Assignment.officer_id == User.id)
        .where(Assignment.end_date.is_(None))
        .distinct()
    ).all()
    in_officer_scope = or_(
        false(),
        *(and_(User.scope_unit_id == s, Household.unit_id.in_(index.family(s))) for s in officer_units),
    )
    orphan = and_(Assignment.officer_id.is_not(None), or_(~User.active, ~in_officer_scope))
    followed = active.outerjoin(User, User.id == Assignment.officer_id)
    return followed.where(orphan if category is Category.ORPHANED else ~orphan).exists()


def _tallies(user: User, unit_ids: AbstractSet[int]) -> list[_Tally]:
    """One aggregate over the households of ``unit_ids`` (already within scope): counts by unit,
    status, and the officer of the active assignment (their active flag and scope unit), then
    each group classified here, where the scope rule (merged units included) is known."""
    has_assignment = Assignment.id.is_not(None)
    active = and_(Assignment.household_id == Household.id, Assignment.end_date.is_(None))
    groups = (Household.unit_id, Household.status, has_assignment, User.active, User.scope_unit_id)
    rows = db.session.execute(
        select(*groups, func.count())
        .select_from(Household)
        .outerjoin(Assignment, active)
        .outerjoin(User, User.id == Assignment.officer_id)
        .where(
            scope.scope_clause(Household, user, unit_ids),
            Household.status.in_([s.value for s in STATUSES]),
        )
        .group_by(*groups)
    )
    index = scope.unit_index()
    return [
        _Tally(unit_id, status, _category(index, unit_id, assigned, officer_active, officer_unit), int(n))
        for unit_id, status, assigned, officer_active, officer_unit, n in rows
    ]


def _unit_ids(user: User, unit: scope.Unit) -> AbstractSet[int]:
    """The unit, its subtree and the units merged into it, within the user's scope."""
    return scope.scope_unit_ids(user) & scope.unit_index().family(unit.id)


def coverage(user: User, unit: scope.Unit) -> UnitCoverage:
    """The coverage of the households of ``unit`` (and the units merged into it) in scope."""
    result = UnitCoverage(unit)
    for tally in _tallies(user, _unit_ids(user, unit)):
        result.add(tally.status, tally.category, tally.count)
    return result


def _group_of(
    index: scope.UnitIndex, unit_id: int, kinds: Iterable[str], allowed: AbstractSet[int]
) -> scope.Unit | None:
    """The unit of ``kinds`` a household of ``unit_id`` counts under: the unit itself or its
    nearest ancestor of those kinds, followed through merges to the unit that absorbed it while
    that one is within ``allowed``; None when there is none within ``allowed``."""
    chain = [index.units[unit_id], *reversed(index.ancestors(unit_id))]
    found = next((u for u in chain if u.kind in kinds), None)
    if found is None or found.id not in allowed:
        return None
    seen = {found.id}
    while found.successor_id in allowed and found.successor_id not in seen:
        found = index.units[found.successor_id]
        seen.add(found.id)
    return found


def coverage_by_unit(user: User, unit: scope.Unit, level: str) -> list[UnitCoverage]:
    """The coverage of ``unit`` row by row: one row per commune-level unit or village (``level``)
    within it, by code. Every such unit valid today is listed, with zeros when it has no poor or
    near-poor household; a unit that is no longer valid is listed only if households still
    count under it. A household lands in one row at most (see ``_group_of``): none when it sits
    above the level (recorded at commune level, grouped by village) or ``unit`` is below it.

    :raises ValueError: for an unknown ``level``.
    """
    kinds = LEVEL_KINDS[Level(level)]
    index = scope.unit_index()
    allowed = _unit_ids(user, unit)
    rows: dict[int, UnitCoverage] = {
        u.id: UnitCoverage(u) for u in scope.current_units_in_scope(user, kinds) if u.id in allowed
    }
    for tally in _tallies(user, allowed):
        group = _group_of(index, tally.unit_id, kinds, allowed)
        if group is not None:
            rows.setdefault(group.id, UnitCoverage(group)).add(tally.status, tally.category, tally.count)
    return sorted(rows.values(), key=lambda row: (row.unit.code, row.unit.valid_from or date.min))
