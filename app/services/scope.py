"""The one scoped-query helper: every read of scoped data goes through here.

A user's scope is their scope unit, everything beneath it, and every unit
that was merged into it (followed through ``successor_id``) with everything
beneath those, so a commune created by a merge keeps the history of the
communes it absorbed. A record outside scope is reported as absent (404).
"""

from collections import defaultdict
from collections.abc import Collection, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date

from flask import abort, g, has_app_context
from sqlalchemy import ColumnElement, Integer, Select, any_, event, false, literal, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import (
    AdminUnit,
    Assignment,
    DataVersion,
    Household,
    ImportBatch,
    Member,
    Organisation,
    ReportInstance,
    ReviewRecord,
    ReviewRound,
    SupportTask,
    TaskEvidence,
    TaskNote,
    User,
)
from app.models.versions import UNITS
from app.services import clock


@dataclass(frozen=True, slots=True)
class Unit:
    """A read-only copy of an ``AdminUnit`` row: a province has ~1,500 units, and plain rows
    load an order of magnitude faster than ORM objects on every request."""

    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    successor_id: int | None
    valid_from: date | None
    valid_to: date | None
    path: str
    depth: int
    note: str | None

    is_valid_on = AdminUnit.is_valid_on
    is_commune_level = AdminUnit.is_commune_level


UNIT_COLUMNS = [getattr(AdminUnit, f) for f in Unit.__dataclass_fields__]


@dataclass
class UnitIndex:
    """All units, loaded once per request: the tree and the merge links."""

    units: dict[int, Unit]
    children: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    predecessors: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    _families: dict[int, frozenset[int]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls) -> "UnitIndex":
        units = {row.id: Unit(*row) for row in db.session.execute(select(*UNIT_COLUMNS))}
        index = cls(units)
        for unit in units.values():
            if unit.parent_id is not None:
                index.children[unit.parent_id].append(unit.id)
            if unit.successor_id is not None:
                index.predecessors[unit.successor_id].append(unit.id)
        return index

    def family(self, root_id: int) -> frozenset[int]:
        """``root_id``, its descendants, and the units merged into any of them (computed once
        per index: the index is shared by the requests of a process while units are unchanged)."""
        found = self._families.get(root_id)
        if found is None:
            found = self._families[root_id] = frozenset(self._family(root_id))
        return found

    def _family(self, root_id: int) -> set[int]:
        seen: set[int] = set()
        stack = [root_id]
        while stack:
            unit_id = stack.pop()
            if unit_id in seen or unit_id not in self.units:
                continue
            seen.add(unit_id)
            stack.extend(self.children.get(unit_id, ()))
            stack.extend(self.predecessors.get(unit_id, ()))
        return seen

    def subtree(self, root_id: int) -> set[int]:
        """``root_id`` and its descendants by parent links only (no merged units)."""
        seen: set[int] = set()
        stack = [root_id]
        while stack:
            unit_id = stack.pop()
            if unit_id not in seen and unit_id in self.units:
                seen.add(unit_id)
                stack.extend(self.children.get(unit_id, ()))
        return seen

    def units_for_year(self, unit_id: int, year: int | None) -> AbstractSet[int]:
        """The units whose records count for ``unit_id`` in ``year``.

        A unit that existed that year counts only its own subtree, so a commune
        merged into it later keeps its own figures; a unit created later counts
        the units merged into it as well.
        """
        unit = self.units[unit_id]
        if year is not None and (unit.is_valid_on(date(year, 12, 31)) or unit.is_valid_on(date(year, 1, 1))):
            return self.subtree(unit_id)
        return self.family(unit_id)

    def resolve(self, code: str, year: int | None = None) -> Unit | None:
        """The unit a code names in ``year`` (at its end), else its latest one."""
        candidates = [u for u in self.units.values() if u.code == code]
        if not candidates:
            return None
        if year is not None:
            for day in (date(year, 12, 31), date(year, 1, 1)):
                valid = [u for u in candidates if u.is_valid_on(day)]
                if valid:
                    return valid[0]
        return max(candidates, key=lambda u: u.valid_from or date.min)

    def commune_of(self, unit_id: int) -> Unit | None:
        """The commune-level unit a unit lies in (the unit itself, or its nearest such ancestor)."""
        unit = self.units[unit_id]
        return (
            unit
            if unit.is_commune_level
            else next((u for u in reversed(self.ancestors(unit_id)) if u.is_commune_level), None)
        )

    def ancestors(self, unit_id: int) -> list[Unit]:
        chain = []
        unit = self.units.get(unit_id)
        while unit is not None and unit.parent_id is not None:
            unit = self.units.get(unit.parent_id)
            if unit is not None:
                chain.append(unit)
        return list(reversed(chain))


_UNITS_VERSION = select(DataVersion.version).where(DataVersion.name == UNITS)
_UNITS_WRITTEN = "units_written"


@event.listens_for(Session, "after_flush")
def _note_unit_writes(session, _flush_context) -> None:
    if any(isinstance(o, AdminUnit) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info[_UNITS_WRITTEN] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _end_of_transaction(session, *_args) -> None:
    session.info.pop(_UNITS_WRITTEN, None)


class _UnitCache:
    """One ``UnitIndex`` per process and database, reloaded when the units change.

    Every request reads the units' change counter, which database triggers raise on every
    write to the units (``data_versions['units']``, migration 0011): one primary-key read, so a
    change made by another process or worker is seen at the next request; a change in this
    process also drops the index at once."""

    def __init__(self) -> None:
        self.key: tuple | None = None
        self.index: UnitIndex | None = None

    def get(self) -> UnitIndex:
        key = (str(db.engine.url), db.session.scalar(_UNITS_VERSION))
        index = self.index
        if index is None or key != self.key:
            index = UnitIndex.load()
            if key[1] is not None and not db.session.info.get(_UNITS_WRITTEN):
                self.index, self.key = index, key
            # else: no counter to trust (its row is missing), or the transaction wrote units and
            # may yet roll back, taking its counter value with it: a tree kept under that value
            # could later be mistaken for another's. Loaded afresh for this request only.
        return index

    def clear(self) -> None:
        self.index = self.key = None


_units = _UnitCache()


def unit_index() -> UnitIndex:
    """The unit index, loaded at most once per request and reused across requests while the
    units are unchanged."""
    if has_app_context() and "unit_index" in g:
        return g.unit_index
    index = _units.get()
    if has_app_context():
        g.unit_index = index
    return index


def units_version() -> tuple:
    """The fingerprint of the units the request's index was loaded from (for cache keys)."""
    unit_index()
    return _units.key


def forget_units() -> None:
    """Drop the unit index after units change, so the next read sees them."""
    _units.clear()
    if has_app_context():
        g.pop("unit_index", None)


@dataclass(frozen=True)
class UnitScope:
    """The scope of a unit rather than of a person: what a job reporting on a unit may read, by
    the same rules as a user whose scope is that unit (every helper here reads only
    ``scope_unit_id``)."""

    scope_unit_id: int


def scope_unit_ids(user: User | UnitScope) -> frozenset[int]:
    return unit_index().family(user.scope_unit_id)


def _in_units(column: ColumnElement, unit_ids: Iterable[int]) -> ColumnElement[bool]:
    """``column IN (...)``; on PostgreSQL ``column = ANY(:ids)``: one array parameter, not one
    per unit (a province has ~1,000 units, a nation ~100,000)."""
    ids = sorted(unit_ids)
    if not ids:
        return false()
    if _every_unit(ids):  # every unit: the foreign key already says so
        return column.is_not(None)
    if db.engine.dialect.name == "postgresql":
        return column == any_(literal(ids, ARRAY(Integer)))
    return column.in_(ids)


def _every_unit(unit_ids: Collection[int]) -> bool:
    return len(unit_ids) == len(unit_index().units)


def covers_every_unit(user: User) -> bool:
    """Whether the user's scope is the whole unit tree (nothing to filter by unit)."""
    return _every_unit(scope_unit_ids(user))


def _households_in(unit_ids: AbstractSet[int]) -> Select:
    return select(Household.id).where(_in_units(Household.unit_id, unit_ids))


def _of_households_in(column: ColumnElement, unit_ids: AbstractSet[int]) -> ColumnElement[bool]:
    """``column`` (a household's id) names a household in these units. For every unit, no
    condition: the foreign key already says so, and a province's list of every household costs
    more than the query it would guard (and keeps covering indexes from being used)."""
    return true() if _every_unit(unit_ids) else column.in_(_households_in(unit_ids))


#: the models that name their unit themselves, and the column that does
_UNIT_COLUMNS = {
    AdminUnit: AdminUnit.id,
    Household: Household.unit_id,
    Organisation: Organisation.unit_id,
    User: User.scope_unit_id,
    ReviewRecord: ReviewRecord.unit_id,
    ReportInstance: ReportInstance.unit_id,  # the submitting unit
    ReviewRound: ReviewRound.unit_id,  # the commune reviewed
    ImportBatch: ImportBatch.unit_id,  # the uploader's scope unit
}


def scope_clause(model: type, user: User, unit_ids: AbstractSet[int] | None = None) -> ColumnElement[bool]:
    """The WHERE clause that keeps ``model`` rows inside the user's scope.

    :param unit_ids: narrow further to these units (already within scope).
    :raises TypeError: for a model that has no scope rule (a bug, not a 404).
    """
    ids = scope_unit_ids(user) if unit_ids is None else unit_ids
    if model in _UNIT_COLUMNS:
        return _in_units(_UNIT_COLUMNS[model], ids)
    if model is Member:
        return _of_households_in(Member.household_id, ids)
    if model is Assignment:
        return _of_households_in(Assignment.household_id, ids)
    if model is SupportTask:
        return _of_households_in(SupportTask.household_id, ids)
    if model in (TaskNote, TaskEvidence):
        tasks = select(SupportTask.id).where(_of_households_in(SupportTask.household_id, ids))
        return model.task_id.in_(tasks)
    raise TypeError(f"no scope rule for {model.__name__}")


def unit_clause(model: type, user: User | UnitScope, unit_id: int) -> ColumnElement[bool]:
    """``scope_clause`` narrowed to one unit of the scope: the unit, its descendants and the units
    merged into it (a report's or a dashboard's figures for that unit)."""
    return scope_clause(model, user, unit_index().family(unit_id) & scope_unit_ids(user))


def scoped(model: type, user: User) -> Select:
    """``select(model)`` restricted to the user's scope."""
    return select(model).where(scope_clause(model, user))


def get_or_404(model: type, ident: int, user: User, *options):
    """The row ``ident`` of ``model`` if it is in the user's scope, else abort 404; ``options``:
    loader options (what else to load with it)."""
    row = db.session.scalars(scoped(model, user).where(model.id == ident).options(*options)).first()
    if row is None:
        abort(404)
    return row


def unit_in_scope_or_404(user: User, code: str | None, year: int | None = None) -> Unit:
    """The unit named by ``code`` (the user's scope unit when empty), if in scope."""
    index = unit_index()
    if not code:
        return index.units[user.scope_unit_id]
    unit = index.resolve(code, year)
    if unit is None or unit.id not in scope_unit_ids(user):
        abort(404)
    return unit


def current_units_in_scope(user: User, kinds: tuple[str, ...], on: date | None = None) -> list[Unit]:
    """Units of ``kinds`` valid ``on`` (default today) within the user's scope, by code."""
    index = unit_index()
    day = on or clock.today()
    allowed = scope_unit_ids(user)
    units = [
        index.units[i] for i in allowed if index.units[i].kind in kinds and index.units[i].is_valid_on(day)
    ]
    return sorted(units, key=lambda u: u.code)


def villages_by_commune(user: User) -> list[tuple[Unit, list[Unit]]]:
    """Current villages in scope, grouped under their current commune."""
    index = unit_index()
    groups: dict[int, list[Unit]] = {}
    for village in current_units_in_scope(user, ("village",)):
        groups.setdefault(village.parent_id, []).append(village)
    return [(index.units[parent], sorted(v, key=lambda u: u.name)) for parent, v in groups.items()]
