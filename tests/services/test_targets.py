"""Targets against actual values (app/services/targets.py): the share of the year, the projection,
the status, and a unit's progress on hand-built records."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.extensions import db
from app.models import Target
from app.services import indicators, scope, targets
from app.services.targets import Status
from tests.factories import make_task

JOBS = indicators.BY_KEY["new_jobs"]  # builds up through the year (a count)
TUITION = indicators.BY_KEY["tuition_exemption"]  # builds up (a percentage)
WATER = indicators.BY_KEY["hygienic_water"]  # a level


@pytest.mark.parametrize(
    ("on", "share"),
    [
        (date(2019, 12, 31), Decimal(0)),
        (date(2020, 1, 1), Decimal(1) / 366),  # 2020 is a leap year
        (date(2020, 7, 1), Decimal(183) / 366),
        (date(2020, 12, 30), Decimal(365) / 366),
        (date(2020, 12, 31), Decimal(1)),
        (date(2021, 6, 1), Decimal(1)),
    ],
)
def test_the_share_of_the_year_gone_counts_the_day_itself(on, share):
    assert targets.share_of_year(2020, on) == share


def test_what_builds_up_is_projected_linearly_and_a_level_as_it_stands():
    half = Decimal("0.5")
    assert targets.project(JOBS, Decimal(140), half) == Decimal(280)
    assert targets.project(JOBS, Decimal(140), Decimal(31) / 366) == Decimal(1653)  # 1652.9: whole people
    assert targets.project(JOBS, Decimal(140), Decimal(1)) == Decimal(140)  # the year is over
    assert targets.project(TUITION, Decimal(40), half) == Decimal(80)
    assert targets.project(TUITION, Decimal(60), half) == Decimal(100)  # a percentage stops at 100
    assert targets.project(WATER, Decimal("69.04"), half) == Decimal("69.04")
    assert targets.project(JOBS, None, half) is None
    assert targets.project(JOBS, Decimal(0), Decimal(0)) is None  # the year has not begun


@pytest.mark.parametrize(
    ("target", "actual", "projected", "status"),
    [
        (None, Decimal(5), Decimal(5), Status.NO_TARGET),
        (Decimal(550), None, None, Status.PENDING),
        (Decimal(550), Decimal(550), Decimal(550), Status.ACHIEVED),
        (Decimal(550), Decimal(600), Decimal(600), Status.ACHIEVED),
        (Decimal(550), Decimal(140), Decimal(641), Status.ON_TRACK),
        (Decimal(550), Decimal(140), Decimal(549), Status.AT_RISK),
        (Decimal("2.3"), Decimal("-0.5"), Decimal("-0.5"), Status.AT_RISK),  # the rate went up
    ],
)
def test_status_compares_the_actual_value_and_the_projection_with_the_target(
    target, actual, projected, status
):
    assert targets.status_of(target, actual, projected) == status


def test_the_bar_scale_is_100_for_a_percentage_else_the_largest_figure():
    jobs = targets.Progress(JOBS, Decimal(550), Decimal(140), Decimal(641), Status.ON_TRACK)
    assert jobs.scale == Decimal(641)
    assert (jobs.share_of_scale(jobs.actual), jobs.share_of_scale(jobs.target)) == (22, 86)
    water = targets.Progress(WATER, Decimal(85), Decimal("69.04"), Decimal("69.04"), Status.AT_RISK)
    assert (water.scale, water.share_of_scale(water.actual), water.share_of_scale(None)) == (100, 69, 0)
    fell = targets.Progress(
        indicators.BY_KEY["poverty_rate_reduction"], Decimal("2.3"), Decimal(-1), Decimal(-1), Status.AT_RISK
    )
    assert fell.share_of_scale(fell.actual) == 0


def _set(unit, year: int, **values) -> None:
    for key, value in values.items():
        db.session.add(Target(year=year, unit_id=unit.id, indicator=key, value=Decimal(value)))
    db.session.flush()


def _job(household, organisation, status: str = "done", **kw) -> None:
    """A job-placement task created on 2 January 2020 (done on the 20th when done)."""
    task = make_task(
        household,
        organisation,
        "JOB",
        status=status,
        done_on=date(2020, 1, 20) if status == "done" else None,
        outcome_employer="Công ty May Bắc Kạn",
        **kw,
    )
    task.created_at = datetime(2020, 1, 2, 8, 0)
    db.session.flush()


def _by_key(rows) -> dict:
    return {row.spec.key: row for row in rows}


def test_a_units_progress_on_hand_built_records(world):
    """Two jobs found in the district by 31 January 2020 (one in each commune; a third, cancelled,
    does not count): 31 days of 366 gone, so 2 × 366 / 31 = 23.6, 24 people projected."""
    district = scope.unit_index().units[world.district.id]
    _set(world.district, 2020, new_jobs=20, hygienic_water=85, poverty_rate_reduction="2.3")
    _job(world.households.duc, world.organisations.a)
    _job(world.households.pao, world.organisations.a)
    _job(world.households.lan, world.organisations.a, "cancelled")
    rows = _by_key(targets.progress(scope.UnitScope(district.id), district, 2020, date(2020, 1, 31)))

    assert [row.spec.key for row in rows.values()] == [spec.key for spec in indicators.INDICATORS]
    jobs = rows["new_jobs"]
    assert (jobs.target, jobs.actual, jobs.projected, jobs.status) == (
        Decimal(20),
        Decimal(2),
        Decimal(24),
        Status.ON_TRACK,
    )
    water = rows["hygienic_water"]  # no poor household of the 2019 review is deprived of water
    assert (water.actual, water.projected, water.status) == (Decimal(100), Decimal(100), Status.ACHIEVED)
    assert rows["poverty_rate_reduction"].status == Status.PENDING  # no 2020 review yet
    assert rows["telecom"].status == Status.NO_TARGET

    # by the end of March the same two jobs project to fewer than the target
    late = _by_key(targets.progress(scope.UnitScope(district.id), district, 2020, date(2020, 3, 31)))
    assert (late["new_jobs"].projected, late["new_jobs"].status) == (Decimal(8), Status.AT_RISK)


def test_progress_is_read_within_the_scope_and_a_year_not_begun_is_pending(world):
    commune = scope.unit_index().units[world.commune_b.id]
    _set(world.commune_b, 2020, new_jobs=1)
    _set(world.commune_b, 2021, new_jobs=1)
    _job(world.households.duc, world.organisations.a)  # in commune A: not commune B's
    rows = _by_key(targets.progress(world.users.staff_b, commune, 2020, date(2020, 3, 20)))
    assert (rows["new_jobs"].actual, rows["new_jobs"].status) == (Decimal(0), Status.AT_RISK)
    _job(world.households.pao, world.organisations.a)
    rows = _by_key(targets.progress(world.users.staff_b, commune, 2020, date(2020, 3, 20)))
    assert (rows["new_jobs"].actual, rows["new_jobs"].status) == (Decimal(1), Status.ACHIEVED)
    ahead = _by_key(targets.progress(world.users.staff_b, commune, 2021, date(2020, 3, 20)))
    assert (ahead["new_jobs"].actual, ahead["new_jobs"].status) == (None, Status.PENDING)


@pytest.mark.parametrize(
    ("locale", "typed", "measure", "value"),
    [
        ("vi", "2,3", "points", Decimal("2.3")),
        ("vi", "2.3", "points", Decimal("2.3")),
        ("en", "2.3", "points", Decimal("2.3")),
        ("vi", " 85 % ", "percent", Decimal(85)),
        ("vi", "1.000", "count", Decimal(1000)),
        ("en", "1,000", "count", Decimal(1000)),
        ("vi", "550", "count", Decimal(550)),
        ("vi", "", "count", None),
    ],
)
def test_a_target_is_read_as_the_reader_types_it(app, locale, typed, measure, value):
    with app.test_request_context(), force_locale(locale):
        assert targets.parse_value(typed, measure) == value


@pytest.mark.parametrize(
    ("locale", "typed", "measure"),
    [("vi", "5,5", "count"), ("en", "5.5", "count"), ("vi", "1.000,5", "points"), ("vi", "101", "percent")],
)
def test_a_target_that_cannot_be_read_is_refused(app, locale, typed, measure):
    with app.test_request_context(), force_locale(locale), pytest.raises(targets.TargetError):
        targets.parse_value(typed, measure)


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (550, [113, 113, 226], [138, 137, 275]),  # 137.5, 137.5, 275: a tie goes to the first
        (5, [1, 1], [3, 2]),
        (10, [0, 0, 0], [4, 3, 3]),  # no weight: equal parts
        (7, [3], [7]),
        (3, [], []),
    ],
)
def test_share_out_gives_whole_parts_that_add_up(total, weights, parts):
    assert targets.share_out(total, weights) == parts
    assert sum(parts) == (total if weights else 0)
