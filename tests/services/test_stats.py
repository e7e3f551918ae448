"""Headline figures counted from official review records."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from werkzeug.exceptions import NotFound

from app.services import scope
from app.services.stats import (
    Stats,
    household_stats,
    household_stats_of,
    latest_official_year,
    official_years,
)
from tests.factories import day, make_household, make_review, make_unit, make_user


def _counts(stats: Stats) -> tuple:
    return (
        stats.households,
        stats.poor,
        stats.near_poor,
        stats.poor_by_income,
        stats.poor_by_income_urban,
        stats.poor_by_income_rural,
        stats.poor_by_deprivation,
    )


def _stats(**counts) -> Stats:
    base = dict(
        unit_code="x",
        unit_name="x",
        year=2019,
        households=0,
        poor=0,
        near_poor=0,
        poor_by_income=0,
        poor_by_income_urban=0,
        poor_by_income_rural=0,
        poor_by_deprivation=0,
    )
    return Stats(**(base | counts))


def test_world_district_figures(world):
    stats = household_stats(world.users.admin, world.district, 2019)

    # A-0001 poor by income (rural), A-0002 near-poor, B-0001 poor by deprivation
    assert _counts(stats) == (3, 2, 1, 1, 0, 1, 1)
    assert (stats.unit_code, stats.unit_name, stats.year) == ("999", "Huyện Thử Nghiệm", 2019)
    assert stats.poor_rate == Decimal("66.67")
    assert stats.near_poor_rate == Decimal("33.33")
    assert stats.income_share == Decimal("50.00")


def test_world_commune_and_village_figures(world):
    admin = world.users.admin

    assert _counts(household_stats(admin, world.commune_a, 2019)) == (2, 1, 1, 1, 0, 1, 0)
    assert _counts(household_stats(admin, world.commune_b, 2019)) == (1, 1, 0, 0, 0, 0, 1)
    assert _counts(household_stats(admin, world.village_a2, 2019)) == (1, 0, 1, 0, 0, 0, 0)


@pytest.mark.parametrize("year", [2015, 2018, 2020])
def test_a_year_without_reviews_gives_zeros(world, year):
    stats = household_stats(world.users.admin, world.district, year)

    assert _counts(stats) == (0, 0, 0, 0, 0, 0, 0)
    assert stats.poor_rate == stats.near_poor_rate == stats.income_share == Decimal("0.00")
    assert stats.year == year


def test_a_commune_user_asking_for_the_district_gets_only_their_commune(world):
    staff_a = world.users.staff_a

    assert _counts(household_stats(staff_a, world.district, 2019)) == (2, 1, 1, 1, 0, 1, 0)
    assert _counts(household_stats(world.users.staff_b, world.district, 2019)) == (1, 1, 0, 0, 0, 0, 1)
    with pytest.raises(NotFound):
        scope.unit_in_scope_or_404(staff_a, world.commune_b.code, 2019)
    with pytest.raises(NotFound):
        scope.unit_in_scope_or_404(staff_a, world.district.code, 2019)
    assert scope.unit_in_scope_or_404(staff_a, world.commune_a.code, 2019).id == world.commune_a.id


@pytest.fixture
def town(world, db):
    """A town (urban) beside the communes, with a 2019 review of each kind and some noise."""
    town = make_unit("99904", "Thị trấn Thử", "town", world.district)
    street = make_unit("99904-01", "Tổ dân phố 1", "village", town)
    t = SimpleNamespace(town=town, street=street)
    for i, (result, criterion) in enumerate(
        [
            ("poor", "income"),
            ("poor", "income"),
            ("poor", "deprivation"),
            ("near_poor", None),
            ("not_poor", None),
        ]
    ):
        household = make_household(street, f"Hộ phố {i}", code=f"T-{i:04d}", area="urban")
        make_review(household, 2019, result, criterion=criterion, income=800_000)
        # noise that must not count in 2019: another year, and a preliminary review
        make_review(household, 2018, "poor", criterion="income")
        make_review(household, 2019, "poor", kind="preliminary", criterion="income")
    make_review(world.households.lan, 2019, "poor", kind="preliminary", criterion="income")
    db.session.flush()
    return t


def test_urban_and_rural_poor_by_income_are_split_by_the_review_area(town, world):
    stats = household_stats(world.users.admin, world.district, 2019)

    # world: 3 records (1 poor by income rural, 1 by deprivation, 1 near-poor)
    # town: 5 records (2 poor by income urban, 1 by deprivation, 1 near-poor, 1 not poor)
    assert _counts(stats) == (8, 5, 2, 3, 2, 1, 2)
    assert stats.poor_rate == Decimal("62.50")
    assert stats.near_poor_rate == Decimal("25.00")
    assert stats.income_share == Decimal("60.00")
    assert _counts(household_stats(world.users.admin, town.town, 2019)) == (5, 3, 1, 2, 2, 0, 1)


def test_only_official_reviews_of_the_year_count(town, world):
    assert _counts(household_stats(world.users.admin, town.town, 2018)) == (5, 5, 0, 5, 5, 0, 0)


@pytest.mark.parametrize(
    "part,whole,rate",
    [
        (1, 800, "0.13"),  # 0.125: half-up, where banker's rounding would give 0.12
        (3, 800, "0.38"),  # 0.375
        (5, 800, "0.63"),  # 0.625: half-up, banker's gives 0.62
        (1, 3, "33.33"),
        (2, 3, "66.67"),
        (1, 8, "12.50"),
        (1486, 8575, "17.33"),  # DOMAIN.md §1: poor households of Bạch Thông, end of 2019
        (866, 8575, "10.10"),  # near-poor
        (1, 1, "100.00"),
        (0, 5, "0.00"),
    ],
)
def test_rate_rounding(part, whole, rate):
    stats = _stats(households=whole, poor=part, near_poor=part)

    assert stats.poor_rate == Decimal(rate)
    assert stats.near_poor_rate == Decimal(rate)
    assert str(stats.poor_rate) == rate


def test_income_share_of_the_article():
    # DOMAIN.md §1: 1,400 of the 1,486 poor by income = 94.21 %
    stats = _stats(households=8575, poor=1486, poor_by_income=1400)

    assert stats.income_share == Decimal("94.21")


def test_as_json_carries_the_counts_and_the_rates():
    data = _stats(households=8575, poor=1486, near_poor=866).as_json()

    assert data["households"] == 8575
    assert data["poor_rate"] == 17.33
    assert data["near_poor_rate"] == 10.1


def test_past_figures_stay_on_the_unit_of_the_review(world, db):
    # Đức's household moves to commune B after its 2019 review; 2019 still counts it in A.
    world.households.duc.unit_id = world.village_b1.id
    db.session.flush()

    assert household_stats(world.users.admin, world.commune_a, 2019).poor == 1
    assert household_stats(world.users.admin, world.commune_b, 2019).poor == 1


@pytest.fixture
def merged(world, db):
    y = make_unit("99903", "Xã Hợp Nhất", "commune", world.district, valid_from=day("2020-02-01"))
    x = make_unit("99903", "Xã Cũ", "commune", world.district, valid_to=day("2020-01-31"), successor_id=y.id)
    xv = make_unit("99903-01", "Thôn Cũ", "village", x, valid_to=day("2020-01-31"))
    yv = make_unit("99903-51", "Thôn Mới", "village", y, valid_from=day("2020-02-01"))
    hx = make_household(xv, "Triệu Văn Cũ", code="X-0001")
    hy = make_household(yv, "Triệu Thị Mới", code="Y-0001")
    make_review(hx, 2019, "poor", criterion="income")
    make_review(hy, 2021, "near_poor")
    make_review(hx, 2021, "poor", criterion="deprivation", unit=yv)
    user_y = make_user("manager", y, "manager.y")
    db.session.flush()
    scope.forget_units()
    return SimpleNamespace(x=x, y=y, user_y=user_y)


def test_a_merged_commune_shows_the_absorbed_commune_figures_for_years_before_it_existed(merged, world):
    assert _counts(household_stats(merged.user_y, merged.y, 2019)) == (1, 1, 0, 1, 0, 1, 0)
    assert _counts(household_stats(merged.user_y, merged.y, 2021)) == (2, 1, 1, 0, 0, 0, 1)
    assert _counts(household_stats(merged.user_y, merged.x, 2019)) == (1, 1, 0, 1, 0, 1, 0)
    # the district counts each record once
    assert household_stats(world.users.admin, world.district, 2019).households == 4


def test_official_years_and_the_latest_are_scoped(world, db):
    make_review(world.households.duc, 2018, "poor", criterion="income")
    make_review(world.households.duc, 2020, "near_poor")
    make_review(world.households.pao, 2021, "poor", kind="preliminary", criterion="income")
    db.session.flush()

    assert official_years(world.users.admin) == [2018, 2019, 2020]
    assert latest_official_year(world.users.admin) == 2020
    assert official_years(world.users.staff_b) == [2019]
    assert latest_official_year(world.users.staff_b) == 2019


def test_official_years_of_an_empty_scope(world, db):
    empty = make_unit("99905", "Xã Trống", "commune", world.district)
    user = make_user("staff", empty, "staff.empty")
    db.session.flush()
    scope.forget_units()

    assert official_years(user) == []
    assert latest_official_year(user) is None
    assert _counts(household_stats(user, empty, 2019)) == (0, 0, 0, 0, 0, 0, 0)


@pytest.mark.parametrize("year", [2019, 2021])
def test_figures_of_several_units_in_one_query_equal_each_units_own(merged, world, year):
    units = [scope.unit_index().units[u.id] for u in (world.commune_a, world.commune_b, merged.x, merged.y)]
    for user in (world.users.admin, world.users.staff_a):
        together = household_stats_of(user, units, year)
        assert [_counts(s) for s in together] == [_counts(household_stats(user, u, year)) for u in units]
        assert [s.unit_code for s in together] == [u.code for u in units]
