"""Review records: the standard of a year, writing a result, transitions between years and the
household status they imply. Every writer of review records (a round's preliminary and official
results, an import) goes through ``write_record``."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

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


def _previous_official(household_id: int, year: int) -> tuple[str | None, bool]:
    """The household's official result of ``year - 1`` (None if not reviewed then) and whether it
    was poor in any official review before that."""
    rows = db.session.execute(
        select(ReviewRecord.year, ReviewRecord.result).where(
            ReviewRecord.household_id == household_id,
            ReviewRecord.kind == ReviewKind.OFFICIAL,
            ReviewRecord.year < year,
        )
    ).all()
    previous = next((r.result for r in rows if r.year == year - 1), None)
    poor_before = any(r.result == ReviewResult.POOR for r in rows if r.year < year - 1)
    return previous, poor_before


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


def write_record(
    household: Household, year: int, kind: str, standard: PovertyStandard, found: Result, now: datetime
) -> tuple[ReviewRecord, bool]:
    """Create or update the household's record of ``year`` and ``kind`` (one per pair).

    An official record carries its transition from the year before and moves the household's
    status. Writes nothing when the record already says the same.
    :returns: the record, and whether anything was written.
    """
    record = db.session.scalars(
        select(ReviewRecord).where(
            ReviewRecord.household_id == household.id, ReviewRecord.year == year, ReviewRecord.kind == kind
        )
    ).first()
    moved = None
    if kind == ReviewKind.OFFICIAL:
        previous, poor_before = _previous_official(household.id, year)
        moved = transition(previous, found.result, poor_before=poor_before)
    values = record_values(standard, found, moved)
    if record is not None:
        if is_same(record, values, found.deprivations):
            return record, False
    else:
        record = ReviewRecord(household_id=household.id, year=year, kind=kind, created_at=now)
        db.session.add(record)
    for key, value in values.items():
        setattr(record, key, value)
    record.deprivations = list(found.deprivations)
    db.session.flush()
    if kind == ReviewKind.OFFICIAL:
        refresh_status(household)
    return record, True
