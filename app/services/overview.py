"""The home page's figures for a unit in a user's scope: the review's headline figures, and the work in
hand (tasks, coverage, reports)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AdminUnit,
    DataVersion,
    Household,
    ReportDefinition,
    ReportInstance,
    SupportTask,
    TaskType,
    User,
)
from app.models.tasks import OPEN_STATUSES, TaskStatus
from app.models.versions import FIGURES, REVIEWS
from app.services import coverage as coverage_service
from app.services import reports as reports_service
from app.services import scope, stats
from app.services import targets as targets_service


@dataclass
class UnitRow:
    unit: AdminUnit
    stats: stats.Stats


@dataclass
class Headline:
    unit: AdminUnit
    year: int | None
    years: list[int]
    current: stats.Stats | None
    previous: stats.Stats | None
    rows: list[UnitRow]
    #: the unit's figures in each official review year up to ``year``, oldest first
    trend: list[stats.Stats] = field(default_factory=list)

    @property
    def by_rate(self) -> list[UnitRow]:
        """The rows, the highest poverty rate first (the chart's order)."""
        return sorted(self.rows, key=lambda row: (-row.stats.poor_rate, row.unit.code))

    @property
    def poor_change(self) -> Decimal | None:
        if self.current is None or self.previous is None or not self.previous.households:
            return None
        return self.current.poor_rate - self.previous.poor_rate

    @property
    def near_poor_change(self) -> Decimal | None:
        if self.current is None or self.previous is None or not self.previous.households:
            return None
        return self.current.near_poor_rate - self.previous.near_poor_rate


def _children_valid_in(
    index: scope.UnitIndex, unit: AdminUnit, year: int, allowed: set[int]
) -> list[AdminUnit]:
    day = date(year, 12, 31)
    kids = [index.units[i] for i in index.children.get(unit.id, ()) if i in allowed]
    return sorted((k for k in kids if k.is_valid_on(day)), key=lambda u: u.code)


def headline(user: User, year: int | None = None, unit: AdminUnit | None = None) -> Headline:
    """Figures of the latest official review in scope (or of ``year``) for the user's scope unit
    (or ``unit``, one within it), with a breakdown by child unit and the trend across the years."""
    unit = unit or scope.unit_index().units[user.scope_unit_id]
    years = stats.official_years(user)
    if year not in years:
        year = years[-1] if years else None
    if year is None:
        return Headline(unit, None, [], None, None, [])
    current = stats.household_stats(user, unit, year)
    previous = stats.household_stats(user, unit, year - 1) if year - 1 in years else None
    allowed = scope.scope_unit_ids(user)
    children = _children_valid_in(scope.unit_index(), unit, year, allowed)
    rows = [
        UnitRow(child, figures)
        for child, figures in zip(children, stats.household_stats_of(user, children, year), strict=True)
    ]
    known = {year: current} | ({year - 1: previous} if previous else {})
    trend = [known.get(y) or stats.household_stats(user, unit, y) for y in years if y <= year]
    return Headline(unit, year, years, current, previous, [r for r in rows if r.stats.households], trend)


# -- the work in hand: tasks, overdue tasks by unit, coverage, reports, my tasks ---------------------


@dataclass
class Work:
    """What the unit's people have in hand today, for the dashboard."""

    #: every task of the unit (cancelled included) by its current status
    by_status: dict[str, int]
    #: each task type with its open and done tasks, the most first
    by_type: list[tuple[str, int, int]]
    #: the unit's child units with overdue tasks, the most first
    overdue_by_unit: list[tuple[scope.Unit, int]]
    coverage: coverage_service.UnitCoverage
    #: each report's latest period due (none where nothing was due yet)
    reports: list["ReportsDue"]

    @property
    def tasks(self) -> int:
        return sum(self.by_status.values())

    @property
    def overdue(self) -> int:
        return sum(count for _unit, count in self.overdue_by_unit)


@dataclass(frozen=True)
class ReportsDue:
    """One report's latest period due in the unit: its rates and who is behind."""

    definition_id: int
    name: str
    period: str
    reporting_rate: Decimal | None
    on_time_rate: Decimal | None
    behind: tuple[str, ...]


def work(unit: scope.Unit, today: date) -> Work:
    """The tasks, coverage and reports of ``unit`` (read within its own scope) as of ``today``."""
    who = scope.UnitScope(unit.id)
    in_unit = scope.unit_clause(SupportTask, who, unit.id)
    by_status: dict[str, int] = dict.fromkeys((s.value for s in TaskStatus), 0)
    types: dict[str, list[int]] = {}
    for name, status, count in db.session.execute(
        select(TaskType.name_vi, SupportTask.status, func.count())
        .join(TaskType, TaskType.id == SupportTask.task_type_id)
        .where(in_unit)
        .group_by(TaskType.name_vi, SupportTask.status)
    ):
        by_status[status] += count
        row = types.setdefault(name, [0, 0])
        if status in OPEN_STATUSES:
            row[0] += count
        elif status == TaskStatus.DONE:
            row[1] += count
    return Work(
        by_status=by_status,
        by_type=sorted(((n, o, d) for n, (o, d) in types.items()), key=lambda t: (-(t[1] + t[2]), t[0])),
        overdue_by_unit=_overdue_by_unit(in_unit, unit, today),
        coverage=coverage_service.coverage(who, unit),
        reports=_latest_due_reports(who, unit, today),
    )


def _overdue_by_unit(in_unit, unit: scope.Unit, today: date) -> list[tuple[scope.Unit, int]]:
    """Open tasks past their due date, by the child of ``unit`` their household lives in."""
    index = scope.unit_index()
    counts: dict[int, int] = {}
    for unit_id, count in db.session.execute(
        select(Household.unit_id, func.count())
        .select_from(SupportTask)
        .join(Household, Household.id == SupportTask.household_id)
        .where(in_unit, SupportTask.status.in_(OPEN_STATUSES), SupportTask.due_date < today)
        .group_by(Household.unit_id)
    ):
        chain = [*index.ancestors(unit_id), index.units[unit_id]]
        below = next((u for u, above in zip(chain[1:], chain, strict=False) if above.id == unit.id), None)
        key = below.id if below is not None else unit.id
        counts[key] = counts.get(key, 0) + count
    return sorted(((index.units[i], n) for i, n in counts.items()), key=lambda t: (-t[1], t[0].code))


def _latest_due_reports(who, unit: scope.Unit, today: date) -> list[ReportsDue]:
    """For each active report, the compliance of its latest period due by ``today`` in the unit."""
    in_unit = scope.unit_clause(ReportInstance, who, unit.id)
    latest = dict(
        db.session.execute(
            select(ReportInstance.definition_id, func.max(ReportInstance.period))
            .where(in_unit, ReportInstance.deadline < today)
            .group_by(ReportInstance.definition_id)
        ).all()
    )
    definitions = db.session.scalars(
        select(ReportDefinition)
        .where(ReportDefinition.id.in_(latest), ReportDefinition.active)
        .order_by(ReportDefinition.id)
    )
    due = []
    for definition in definitions:
        table = reports_service.compliance(who, definition, today=today, period=latest[definition.id])
        due.append(
            ReportsDue(
                definition.id,
                definition.name,
                latest[definition.id],
                table.reporting_rate,
                table.on_time_rate,
                tuple(u.name for u in table.late_units()),
            )
        )
    return due


# -- the dashboard, kept while nothing it counts has changed ------------------------------------


@dataclass
class Dashboard:
    headline: Headline
    progress: list[targets_service.Progress]
    work: Work


def dashboard(unit: scope.Unit, year: int | None, plan: int, today: date) -> Dashboard:
    """Everything the home page shows of ``unit`` (one the caller may read) but the user's own tasks.

    Each part is kept by the process (the figures cache) under a key naming what it was counted
    from — data_versions['figures'], which triggers raise on every write to the tables it counts
    (migration 0014; the headline figures: data_versions['reviews'], raised only by the review
    records), the unit tree's version and the day — so a change shows at the next load, and an
    unchanged district costs one read of the counters. The figures of a unit depend on the unit
    alone: a user reads only units within their scope, and reads all of each."""
    cache = current_app.extensions["figures_cache"]
    versions = dict(
        db.session.execute(
            select(DataVersion.name, DataVersion.version).where(DataVersion.name.in_((FIGURES, REVIEWS)))
        ).all()
    )

    def kept(kind: str, counter: str, compute, *key):
        version = versions.get(counter)
        return cache.get_or_render(
            None if version is None else (kind, version, scope.units_version(), *key), compute
        )

    who = scope.UnitScope(unit.id)
    return Dashboard(
        headline=kept("headline", REVIEWS, lambda: headline(who, year, unit), unit.id, year),
        progress=kept(
            "progress",
            FIGURES,
            lambda: targets_service.progress(who, unit, plan, today),
            unit.id,
            plan,
            today,
        ),
        work=kept("work", FIGURES, lambda: work(unit, today), unit.id, today),
    )
