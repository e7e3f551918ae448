"""Indicators measured from the registry and the tasks (app/services/indicators.py), each on
hand-built records, with their edge cases."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models import Indicator, Member, ReviewRecord
from app.services import indicators, scope
from tests.factories import make_review, make_task, reference_standard


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


# -- each indicator on hand-built records ------------------------------------------------------------

ON = date(2020, 3, 20)


def actuals_of(unit, on: date = ON, year: int = 2020) -> dict:
    found = scope.unit_index().units[unit.id]
    return indicators.actuals(scope.UnitScope(found.id), found, year, on)


def task(world, household, type_code: str, status: str, done_on: date | None = None, **kw):
    made = make_task(household, world.organisations.a, type_code, status=status, done_on=done_on, **kw)
    made.created_at = datetime(2020, 1, 2, 8, 0)
    db.session.flush()
    return made


def test_health_insurance_counts_the_members_of_poor_households_with_a_card(world, db):
    """Two poor households (duc, pao), one member each, no card: 0 %; a card for duc's head: 50 %;
    a second member of duc without one: 1 of 3. Within commune B only pao counts."""
    assert actuals_of(world.district)["health_insurance"] == Decimal("0.00")
    world.households.duc.members[0].health_insurance_card = "HN4010012345678"
    db.session.flush()
    assert actuals_of(world.district)["health_insurance"] == Decimal("50.00")
    world.households.duc.members.append(
        Member(full_name="Nguyễn Thị Hoa", relation="child", sex="female", birth_year=2012, ethnicity="Tày")
    )
    db.session.flush()
    assert actuals_of(world.district)["health_insurance"] == Decimal("33.33")
    assert actuals_of(world.commune_b)["health_insurance"] == Decimal("0.00")


def test_a_unit_without_poor_households_has_nothing_to_measure(world, db):
    """Village A2 has one near-poor household and no poor one: no share of poor households."""
    values = actuals_of(world.village_a2)
    assert values["health_insurance"] is None
    assert {values[key] for key in indicators.DEPRIVATIONS} == {None}
    assert values["new_jobs"] == Decimal(0) and values["tuition_exemption"] is None  # no task either


def test_jobs_count_placements_done_in_the_year_with_an_employer(world, db):
    duc, pao, lan = world.households.duc, world.households.pao, world.households.lan
    task(world, duc, "JOB", "done", date(2020, 2, 1), outcome_employer="Công ty May Bắc Kạn")  # counts
    task(world, pao, "JOB", "done", date(2020, 3, 1), outcome_employer="HTX Quang Thuận")  # counts
    task(world, lan, "JOB", "done", date(2020, 2, 1))  # no employer recorded
    task(world, duc, "JOB", "done", date(2019, 12, 20), outcome_employer="Công ty cũ")  # last year
    task(world, pao, "JOB", "done", date(2020, 3, 25), outcome_employer="Sau ngày xem")  # after ON
    task(world, lan, "JOB", "cancelled", outcome_employer="Huỷ")
    assert actuals_of(world.district)["new_jobs"] == Decimal(2)
    assert actuals_of(world.commune_a)["new_jobs"] == Decimal(1)


def test_tuition_exemption_is_the_share_of_its_tasks_done_a_cancelled_one_left_out(world, db):
    duc, pao, lan = world.households.duc, world.households.pao, world.households.lan
    task(world, duc, "TUITION", "done", date(2020, 2, 10))
    task(world, pao, "TUITION", "in_progress")
    task(world, lan, "TUITION", "cancelled")
    assert actuals_of(world.district)["tuition_exemption"] == Decimal("50.00")
    assert actuals_of(world.commune_b)["tuition_exemption"] == Decimal("0.00")


def test_the_rate_reductions_wait_for_the_years_official_review(world, db):
    """2019: 2 poor and 1 near-poor of 3. The 2020 review makes pao near-poor: the poverty rate
    falls from 66.67 % to 33.33 %, the near-poor rate rises from 33.33 % to 66.67 %."""
    assert actuals_of(world.district, date(2020, 12, 20))["poverty_rate_reduction"] is None  # no 2020 review
    make_review(world.households.duc, 2020, "poor", criterion="income")
    make_review(world.households.lan, 2020, "near_poor")
    make_review(world.households.pao, 2020, "near_poor")
    assert actuals_of(world.district, ON)["poverty_rate_reduction"] is None  # not complete on 20 March
    values = actuals_of(world.district, date(2020, 12, 20))
    assert values["poverty_rate_reduction"] == Decimal("33.34")
    assert values["near_poor_rate_reduction"] == Decimal("-33.34")
