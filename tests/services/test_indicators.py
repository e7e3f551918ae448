"""Indicators measured from the registry (app/services/indicators.py): the deprivation shares."""

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models import Indicator, ReviewRecord
from app.services import indicators, scope
from tests.factories import reference_standard


def deprive(review: ReviewRecord, *codes: str) -> None:
    """Record deprivations on ``review`` with the indicators of its own standard."""
    review.deprivations = list(
        db.session.scalars(
            select(Indicator).where(Indicator.standard_id == review.standard_id, Indicator.code.in_(codes))
        )
    )
    assert len(review.deprivations) == len(codes), "a code not in the review's standard"
    db.session.flush()


def shares(world) -> dict[str, Decimal | None]:
    district = scope.unit_index().units[world.district.id]
    values = indicators.actuals(scope.UnitScope(district.id), district, 2020, date(2020, 3, 20))
    return {key: values[key] for key in indicators.DEPRIVATIONS}


def test_deprivation_shares_count_the_poor_deprived_under_the_standard_of_their_review(world, db):
    """A code names one indicator per standard (QĐ 59/2015, NĐ 07/2021, …): a household deprived
    of DOMESTIC_WATER under its review's standard counts, whichever standard's row that is."""
    assert db.session.scalar(select(func.count()).where(Indicator.code == "DOMESTIC_WATER")) >= 2
    assert shares(world) == dict.fromkeys(indicators.DEPRIVATIONS, Decimal("100.00"))  # none deprived

    duc, pao = (
        db.session.scalars(
            select(ReviewRecord).where(ReviewRecord.household_id == household.id, ReviewRecord.year == 2019)
        ).one()
        for household in (world.households.duc, world.households.pao)
    )
    assert duc.standard_id == pao.standard_id == reference_standard("QD59-2015").id
    deprive(pao, "DOMESTIC_WATER", "INFO_ASSETS")
    deprive(duc, "TELECOM")

    # two poor households in 2019, one deprived of each (the near-poor one does not count)
    assert shares(world) == dict.fromkeys(indicators.DEPRIVATIONS, Decimal("50.00"))

    deprive(duc, "TELECOM", "INFO_ASSETS", "DOMESTIC_WATER")
    assert shares(world) == {
        "hygienic_water": Decimal("0.00"),
        "telecom": Decimal("50.00"),
        "information": Decimal("0.00"),
    }
