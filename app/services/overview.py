"""The home page's headline figures for a user's scope."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.models import AdminUnit, User
from app.services import scope, stats


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
