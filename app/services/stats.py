"""Headline figures, always counted from official review records."""

from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, and_, func, select

from app.extensions import db
from app.models import ReviewEntry, ReviewRecord, ReviewRound, User
from app.models.reviews import Criterion, ReviewKind, ReviewResult, RoundStage, RoundType
from app.services import scope
from app.services.queries import count_if


@dataclass(frozen=True)
class Stats:
    unit_code: str
    unit_name: str
    year: int | None
    households: int
    poor: int
    near_poor: int
    poor_by_income: int
    poor_by_income_urban: int
    poor_by_income_rural: int
    poor_by_deprivation: int

    @staticmethod
    def _rate(part: int, whole: int) -> Decimal:
        if not whole:
            return Decimal("0.00")
        return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)

    @property
    def poor_rate(self) -> Decimal:
        return self._rate(self.poor, self.households)

    @property
    def near_poor_rate(self) -> Decimal:
        return self._rate(self.near_poor, self.households)

    @property
    def income_share(self) -> Decimal:
        return self._rate(self.poor_by_income, self.poor)

    def as_json(self) -> dict:
        return asdict(self) | {
            "poor_rate": float(self.poor_rate),
            "near_poor_rate": float(self.near_poor_rate),
        }


def _official_years_down(user: User, *, complete: bool = True) -> Iterator[int]:
    """The official review years in the user's scope, latest first, found by probing the years
    from the latest down (each an index seek on (year, kind, unit)), not by reading every record
    in scope: a district holds ~9,000 records a year, and PostgreSQL has no skip scan.

    :param complete: leave out a year whose periodic review is still under way (not yet
        recognised) in a commune of the scope: its records hold only the communes that finished,
        and a district's rate counted from them would be wrong.
    """
    in_scope = scope.scope_clause(ReviewRecord, user)
    unfinished = unfinished_years(user) if complete else frozenset()
    year = db.session.scalar(select(func.max(ReviewRecord.year)))
    while year is not None:
        found = db.session.scalar(
            select(ReviewRecord.year)  # a column of the index: an index-only probe
            .where(ReviewRecord.year == year, ReviewRecord.kind == ReviewKind.OFFICIAL, in_scope)
            .limit(1)
        )
        if found is not None and year not in unfinished:
            yield year
        year = db.session.scalar(select(func.max(ReviewRecord.year)).where(ReviewRecord.year < year))


def reviews_under_way(user: User) -> dict[int, frozenset[int]]:
    """The years whose review is under way in the scope, each with the communes that finished it:
    a year in which some commune has a review round, and some commune of the scope (as the units
    stood that year) has not finished it (``finished_communes``). A year without any round
    (results recorded before the application, or imported) is complete."""
    years = db.session.scalars(
        select(ReviewRound.year).where(scope.scope_clause(ReviewRound, user)).distinct()
    ).all()
    index = scope.unit_index()
    communes = [index.units[i] for i in scope.scope_unit_ids(user) if index.units[i].is_commune_level]
    under_way = {}
    for year in years:
        done, on = frozenset(finished_communes(user, year)), date(year, 12, 31)
        if any(c.is_valid_on(on) and c.id not in done for c in communes):
            under_way[year] = done
    return under_way


def unfinished_years(user: User) -> frozenset[int]:
    """The years whose review is under way in the scope (``reviews_under_way``)."""
    return frozenset(reviews_under_way(user))


def finished_communes(user: User, year: int) -> list[int]:
    """The communes of the scope whose results of ``year`` are complete: their periodic review of
    the year is recognised, or (with no periodic round that year) they hold official results of
    the year beyond those their recognised regular reviews wrote — an import of the year's list.
    A regular review alone (a few households that asked) does not make a year."""
    rounds = db.session.execute(
        select(ReviewRound.id, ReviewRound.unit_id, ReviewRound.round_type, ReviewRound.stage).where(
            ReviewRound.year == year, scope.scope_clause(ReviewRound, user)
        )
    ).all()
    periodic = {r.unit_id: r.stage for r in rounds if r.round_type == RoundType.PERIODIC}
    regular = [r.id for r in rounds if r.round_type == RoundType.REGULAR and r.stage == RoundStage.OFFICIAL]
    written_by_regular = Counter(
        dict(
            db.session.execute(
                select(ReviewRound.unit_id, func.count())
                .join(ReviewEntry, ReviewEntry.round_id == ReviewRound.id)
                .where(ReviewRound.id.in_(regular))
                .group_by(ReviewRound.unit_id)
            ).all()
        )
    )
    index, recorded = scope.unit_index(), Counter()
    for unit_id, count in db.session.execute(
        select(ReviewRecord.unit_id, func.count())
        .where(ReviewRecord.year == year, ReviewRecord.kind == ReviewKind.OFFICIAL)
        .where(scope.scope_clause(ReviewRecord, user))
        .group_by(ReviewRecord.unit_id)
    ):
        commune = index.commune_of(unit_id)
        if commune is not None:
            recorded[commune.id] += count
    done = {unit for unit, stage in periodic.items() if stage == RoundStage.OFFICIAL}
    done |= {c for c, n in recorded.items() if c not in periodic and n > written_by_regular[c]}
    return sorted(done)


def latest_official_year(user: User) -> int | None:
    return next(_official_years_down(user), None)


def official_years(user: User, *, complete: bool = True) -> list[int]:
    """The official review years in the user's scope, in order (``complete``: as above)."""
    return sorted(_official_years_down(user, complete=complete))


def _figures(year: int | None, in_scope) -> Select:
    """The six counts of the official review of ``year`` (add GROUP BY for a breakdown)."""
    poor = ReviewRecord.result == ReviewResult.POOR
    by_income = and_(poor, ReviewRecord.criterion == Criterion.INCOME)
    return select(
        func.count(),  # count(*): index-only on PostgreSQL (count(id) reads the heap)
        count_if(poor),
        count_if(ReviewRecord.result == ReviewResult.NEAR_POOR),
        count_if(by_income),
        count_if(and_(by_income, ReviewRecord.area == "urban")),
        count_if(and_(poor, ReviewRecord.criterion == Criterion.DEPRIVATION)),
    ).where(ReviewRecord.year == year, ReviewRecord.kind == ReviewKind.OFFICIAL, in_scope)


def _stats(unit: scope.Unit, year: int | None, counts) -> Stats:
    households, n_poor, near, income, income_urban, deprivation = (int(v) for v in counts)
    return Stats(
        unit_code=unit.code,
        unit_name=unit.name,
        year=year,
        households=households,
        poor=n_poor,
        near_poor=near,
        poor_by_income=income,
        poor_by_income_urban=income_urban,
        poor_by_income_rural=income - income_urban,
        poor_by_deprivation=deprivation,
    )


def household_stats(user: User, unit: scope.Unit, year: int | None) -> Stats:
    """Counts of the official review of ``year`` for ``unit`` (see ``units_for_year``), within scope."""
    unit_ids = scope.unit_index().units_for_year(unit.id, year) & scope.scope_unit_ids(user)
    row = db.session.execute(_figures(year, scope.scope_clause(ReviewRecord, user, unit_ids))).one()
    return _stats(unit, year, row)


def household_stats_of(user: User, units: list[scope.Unit], year: int | None) -> list[Stats]:
    """``household_stats`` of each of ``units`` (siblings, such as a district's communes) in one
    query grouped by the records' unit, summed up per unit in Python."""
    index = scope.unit_index()
    allowed = scope.scope_unit_ids(user)
    members = {unit.id: index.units_for_year(unit.id, year) & allowed for unit in units}
    every = frozenset().union(*members.values()) if members else frozenset()
    rows = db.session.execute(
        _figures(year, scope.scope_clause(ReviewRecord, user, every))
        .add_columns(ReviewRecord.unit_id)
        .group_by(ReviewRecord.unit_id)
    ).all()
    totals = []
    for unit in units:
        sums = [0] * 6
        for row in rows:
            if row[-1] in members[unit.id]:
                sums = [a + int(b) for a, b in zip(sums, row[:-1], strict=True)]
        totals.append(_stats(unit, year, sums))
    return totals
