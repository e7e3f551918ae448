"""Review records: transitions between years and the household status they imply."""

from collections.abc import Iterable

from sqlalchemy import select

from app.extensions import db
from app.models import Household, ReviewRecord
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
