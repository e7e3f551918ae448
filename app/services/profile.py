"""Everything the household page shows beside the household row itself."""

from dataclasses import dataclass

from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Assignment, Household, Indicator, ReviewRecord, User
from app.models.reviews import ReviewKind
from app.services import scope


@dataclass
class Profile:
    reviews: list[ReviewRecord]
    latest_official: ReviewRecord | None
    deprivations: list[Indicator]
    assignment: Assignment | None
    assignment_history: list[Assignment]
    unit_chain: list


def household_profile(user: User, household: Household) -> Profile:
    """Review history (newest first), current deprivations and responsibility of a household in scope."""
    reviews = list(
        db.session.scalars(
            scope.scoped(ReviewRecord, user)
            .where(ReviewRecord.household_id == household.id)
            .options(selectinload(ReviewRecord.deprivations), selectinload(ReviewRecord.standard))
            .order_by(ReviewRecord.year.desc(), ReviewRecord.kind.asc())  # official before preliminary
        )
    )
    official = [r for r in reviews if r.kind == ReviewKind.OFFICIAL]
    latest = official[0] if official else None
    assignments = list(
        db.session.scalars(
            scope.scoped(Assignment, user)
            .where(Assignment.household_id == household.id)
            .options(selectinload(Assignment.organisation), selectinload(Assignment.officer))
            .order_by(Assignment.start_date.desc(), Assignment.id.desc())
        )
    )
    active = next((a for a in assignments if a.end_date is None), None)
    index = scope.unit_index()
    chain = index.ancestors(household.unit_id) + [index.units[household.unit_id]]
    return Profile(
        reviews=reviews,
        latest_official=latest,
        deprivations=list(latest.deprivations) if latest else [],
        assignment=active,
        assignment_history=[a for a in assignments if a is not active],
        unit_chain=chain,
    )
