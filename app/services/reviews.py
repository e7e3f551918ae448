"""Review records: the standard of a year, writing a result, transitions between years and the
household status they imply. Every writer of review records (a round's preliminary and official
results, an import) goes through ``write_records``."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Household, Indicator, PovertyStandard, ReviewRecord
from app.models.households import HouseholdStatus
from app.models.reviews import ReviewKind, ReviewResult, Transition

POVERTY_RESULTS = (ReviewResult.POOR, ReviewResult.NEAR_POOR)


def transition(previous: str | None, current: str, *, poor_before: bool) -> Transition | None:
    """The movement from last year's result to this year's (DOMAIN.md §4).

    :param previous: last year's official result, or None if the household
        was not reviewed then (no transition is recorded).
    :param poor_before: whether the household was poor in any year before last.
    """
    if previous is None:
        return None
    was = previous if previous in POVERTY_RESULTS else None
    now = current if current in POVERTY_RESULTS else None
    table = {
        (ReviewResult.POOR, ReviewResult.POOR): Transition.CONTINUING_POOR,
        (ReviewResult.POOR, ReviewResult.NEAR_POOR): Transition.POOR_TO_NEAR_POOR,
        (ReviewResult.POOR, None): Transition.ESCAPED_POVERTY,
        (ReviewResult.NEAR_POOR, ReviewResult.POOR): Transition.NEAR_POOR_TO_POOR,
        (ReviewResult.NEAR_POOR, ReviewResult.NEAR_POOR): Transition.CONTINUING_NEAR_POOR,
        (ReviewResult.NEAR_POOR, None): Transition.ESCAPED_NEAR_POVERTY,
        (None, ReviewResult.NEAR_POOR): Transition.NEWLY_NEAR_POOR,
        (None, None): None,
    }
    if (was, now) == (None, ReviewResult.POOR):
        return Transition.FALLEN_BACK if poor_before else Transition.NEWLY_POOR
    return table[(was, now)]


def status_from(
    official_results: Iterable[tuple[int, str, str | None]],
) -> tuple[str, str | None, int | None]:
    """The registry status implied by a household's official results.

    :param official_results: ``(year, result, criterion)`` triples, any order.
    :returns: ``(status, criterion, year)`` of the latest; ``escaped`` when the
        latest is neither poor nor near-poor but an earlier one was.
    """
    ordered = sorted(official_results)
    if not ordered:
        return HouseholdStatus.OTHER, None, None
    year, result, criterion = ordered[-1]
    if result in POVERTY_RESULTS:
        return str(result), criterion, year
    if any(r in POVERTY_RESULTS for _, r, _ in ordered[:-1]):
        return HouseholdStatus.ESCAPED, None, year
    return HouseholdStatus.OTHER, None, year


def refresh_status(household: Household) -> None:
    """Recompute the household's status columns from its official reviews."""
    rows = db.session.execute(
        select(ReviewRecord.year, ReviewRecord.result, ReviewRecord.criterion).where(
            ReviewRecord.household_id == household.id, ReviewRecord.kind == ReviewKind.OFFICIAL
        )
    ).all()
    household.status, household.status_criterion, household.status_year = status_from(
        (r.year, r.result, r.criterion) for r in rows
    )


def standard_for(year: int) -> PovertyStandard | None:
    """The poverty standard in force for a review year (QĐ 59/2015 up to 2021, NĐ 07/2021 for
    2022–2026, NĐ 351/2025 from 2027), or None when no standard covers it."""
    return db.session.scalars(
        select(PovertyStandard).where(PovertyStandard.year_from <= year, PovertyStandard.year_to >= year)
    ).first()


@dataclass(frozen=True)
class Result:
    """What a review found for one household, ready to be written as a record."""

    unit_id: int  # the household's village at the review
    area: str
    income: int  # đồng per person per month
    deprivations: Sequence[Indicator]
    result: str
    criterion: str | None
    decision_number: str | None = None
    decision_date: date | None = None

    @property
    def score_b(self) -> int:
        """Phiếu B's deprivation score: 10 points per indicator the household lacks."""
        return 10 * len(self.deprivations)


def record_values(standard: PovertyStandard, found: Result, moved: Transition | None) -> dict:
    """The columns of a review record that say what the review found."""
    return {
        "standard_id": standard.id,
        "unit_id": found.unit_id,
        "area": found.area,
        "income_per_month": found.income,
        "score_b": found.score_b,
        "result": str(found.result),
        "criterion": str(found.criterion) if found.criterion else None,
        "transition": str(moved) if moved else None,
        "decision_number": found.decision_number,
        "decision_date": found.decision_date,
    }


def is_same(record: ReviewRecord, values: dict, deprivations: Sequence[Indicator]) -> bool:
    """Whether ``record`` already says ``values`` with these deprivations (nothing to write)."""
    same = all(getattr(record, key) == value for key, value in values.items())
    return same and sorted(i.id for i in record.deprivations) == sorted(i.id for i in deprivations)


#: households read per statement (an IN list stays well under SQLite's variable limit)
CHUNK = 2000


def write_records(
    items: Sequence[tuple[Household, Result]], year: int, kind: str, standard: PovertyStandard, now: datetime
) -> set[int]:
    """Create or update each household's record of ``year`` and ``kind`` (one per pair; a household
    at most once in ``items``). An official record carries its transition from the year before and
    moves the household's status. A record that already says the same is left alone.

    The records and the households' earlier official results are read a chunk at a time, not per
    household: a commune's round, or a district's import, is a few statements.
    :returns: the ids of the households whose record was written.
    """
    written: set[int] = set()
    for start in range(0, len(items), CHUNK):
        chunk = items[start : start + CHUNK]
        ids = [household.id for household, _found in chunk]
        stored = {
            r.household_id: r
            for r in db.session.scalars(
                select(ReviewRecord)
                .where(
                    ReviewRecord.household_id.in_(ids), ReviewRecord.year == year, ReviewRecord.kind == kind
                )
                .options(selectinload(ReviewRecord.deprivations))
            )
        }
        history = _official_history(ids) if kind == ReviewKind.OFFICIAL else {}
        for household, found in chunk:
            if _write_one(household, found, year, kind, standard, now, stored.get(household.id), history):
                written.add(household.id)
    db.session.flush()
    return written


def _official_history(household_ids: list[int]) -> dict[int, list[tuple[int, str, str | None]]]:
    """Each household's official (year, result, criterion) triples."""
    history: dict[int, list] = defaultdict(list)
    rows = db.session.execute(
        select(
            ReviewRecord.household_id, ReviewRecord.year, ReviewRecord.result, ReviewRecord.criterion
        ).where(ReviewRecord.household_id.in_(household_ids), ReviewRecord.kind == ReviewKind.OFFICIAL)
    )
    for household_id, *triple in rows:
        history[household_id].append(tuple(triple))
    return history


def transition_from(officials: Mapping[int, str], year: int, result: str) -> Transition | None:
    """The transition of ``year``'s official result, from the household's official results of
    other years (year → result): the one of ``year - 1``, and whether it was poor before that."""
    previous = officials.get(year - 1)
    poor_before = any(r == ReviewResult.POOR for y, r in officials.items() if y < year - 1)
    return transition(previous, result, poor_before=poor_before)


def _write_one(household, found, year, kind, standard, now, record, history) -> bool:
    moved = None
    if kind == ReviewKind.OFFICIAL:
        moved = transition_from({y: r for y, r, _c in history[household.id]}, year, found.result)
    values = record_values(standard, found, moved)
    if record is not None and is_same(record, values, found.deprivations):
        return False
    if record is None:
        record = ReviewRecord(household_id=household.id, year=year, kind=kind, created_at=now)
        db.session.add(record)
    for key, value in values.items():
        setattr(record, key, value)
    record.deprivations = list(found.deprivations)
    if kind == ReviewKind.OFFICIAL:
        mine = [t for t in history[household.id] if t[0] != year] + [
            (year, values["result"], values["criterion"])
        ]
        history[household.id] = mine
        household.status, household.status_criterion, household.status_year = status_from(mine)
    return True
