"""The home page's headline figures for a user's scope."""

from dataclasses import dataclass
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


def headline(user: User, year: int | None = None) -> Headline:
    """Figures of the latest official review in scope (or of ``year``), with a breakdown by child unit."""
    unit = scope.unit_index().units[user.scope_unit_id]
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
    return Headline(unit, year, years, current, previous, [r for r in rows if r.stats.households])
