"""Year-on-year transitions (DOMAIN.md §4) and the registry status derived from official reviews."""

import pytest

from app.extensions import db as _db
from app.models import ReviewRecord
from app.services.audit import utcnow
from app.services.reviews import refresh_status, status_from, transition
from tests.factories import make_household, reference_standard

POOR, NEAR, AVERAGE, NOT_POOR = "poor", "near_poor", "average", "not_poor"
RESULTS = [POOR, NEAR, AVERAGE, NOT_POOR]

# (previous, current) -> transition; "fallen_back/newly_poor" depends on poor_before.
EXPECTED = {
    (POOR, POOR): "continuing_poor",
    (POOR, NEAR): "poor_to_near_poor",
    (POOR, AVERAGE): "escaped_poverty",
    (POOR, NOT_POOR): "escaped_poverty",
    (NEAR, POOR): "near_poor_to_poor",
    (NEAR, NEAR): "continuing_near_poor",
    (NEAR, AVERAGE): "escaped_near_poverty",
    (NEAR, NOT_POOR): "escaped_near_poverty",
    (AVERAGE, NEAR): "newly_near_poor",
    (NOT_POOR, NEAR): "newly_near_poor",
    (AVERAGE, AVERAGE): None,
    (AVERAGE, NOT_POOR): None,
    (NOT_POOR, AVERAGE): None,
    (NOT_POOR, NOT_POOR): None,
}


@pytest.mark.parametrize("poor_before", [False, True])
@pytest.mark.parametrize("previous,current", sorted(EXPECTED))
def test_transition_table(previous, current, poor_before):
    assert transition(previous, current, poor_before=poor_before) == EXPECTED[(previous, current)]


@pytest.mark.parametrize("previous", [AVERAGE, NOT_POOR])
def test_poor_after_a_non_poor_year_is_newly_poor_or_fallen_back(previous):
    assert transition(previous, POOR, poor_before=False) == "newly_poor"
    assert transition(previous, POOR, poor_before=True) == "fallen_back"


@pytest.mark.parametrize("poor_before", [False, True])
@pytest.mark.parametrize("current", RESULTS)
def test_no_review_last_year_means_no_transition(current, poor_before):
    assert transition(None, current, poor_before=poor_before) is None


def test_every_pair_of_results_is_covered():
    pairs = {(p, c) for p in RESULTS for c in RESULTS}

    assert pairs == set(EXPECTED) | {(AVERAGE, POOR), (NOT_POOR, POOR)}


@pytest.mark.parametrize(
    "results,expected",
    [
        ([], ("other", None, None)),
        ([(2019, POOR, "income")], ("poor", "income", 2019)),
        ([(2019, POOR, "deprivation")], ("poor", "deprivation", 2019)),
        ([(2019, NEAR, None)], ("near_poor", None, 2019)),
        ([(2019, NOT_POOR, None)], ("other", None, 2019)),
        ([(2019, AVERAGE, None)], ("other", None, 2019)),
        # latest wins, whatever the order given
        ([(2019, NEAR, None), (2018, POOR, "income")], ("near_poor", None, 2019)),
        ([(2018, NEAR, None), (2019, POOR, "income")], ("poor", "income", 2019)),
        (
            [(2020, POOR, "income"), (2018, POOR, "deprivation"), (2019, NOT_POOR, None)],
            ("poor", "income", 2020),
        ),
        # escaped: the latest is neither poor nor near-poor, an earlier one was
        ([(2018, POOR, "deprivation"), (2019, NOT_POOR, None)], ("escaped", None, 2019)),
        ([(2019, AVERAGE, None), (2018, NEAR, None)], ("escaped", None, 2019)),
        ([(2017, NEAR, None), (2018, NOT_POOR, None), (2019, AVERAGE, None)], ("escaped", None, 2019)),
        ([(2018, NOT_POOR, None), (2019, AVERAGE, None)], ("other", None, 2019)),
    ],
)
def test_status_from(results, expected):
    assert tuple(status_from(results)) == expected


def test_status_from_accepts_a_generator():
    rows = ((y, r, None) for y, r in [(2018, NEAR), (2019, NOT_POOR)])

    assert status_from(rows) == ("escaped", None, 2019)


def _review(household, year, result, *, kind="official", criterion=None):
    """A review row added without refreshing the status (refresh_status is under test)."""
    row = ReviewRecord(
        household_id=household.id,
        year=year,
        kind=kind,
        standard_id=reference_standard("QD59-2015").id,
        unit_id=household.unit_id,
        area=household.area,
        income_per_month=500_000,
        result=result,
        criterion=criterion,
        created_at=utcnow(),
    )
    _db.session.add(row)
    _db.session.flush()
    return row


def _status(household):
    return household.status, household.status_criterion, household.status_year


def test_refresh_status_of_a_household_without_reviews_is_other(world):
    household = make_household(world.village_a1, "Lý Văn Mới")
    household.status, household.status_year = "poor", 2010

    refresh_status(household)

    assert _status(household) == ("other", None, None)


def test_refresh_status_follows_the_latest_official_review(world):
    duc = world.households.duc
    assert _status(duc) == ("poor", "income", 2019)

    _review(duc, 2020, NEAR)
    refresh_status(duc)
    assert _status(duc) == ("near_poor", None, 2020)

    _review(duc, 2021, NOT_POOR)
    refresh_status(duc)
    assert _status(duc) == ("escaped", None, 2021)


def test_refresh_status_ignores_preliminary_reviews(world):
    duc = world.households.duc
    _review(duc, 2020, NOT_POOR, kind="preliminary")
    _review(duc, 2019, NEAR, kind="preliminary")

    refresh_status(duc)

    assert _status(duc) == ("poor", "income", 2019)


def test_refresh_status_reads_only_the_household_own_reviews(world):
    duc, lan = world.households.duc, world.households.lan
    _review(lan, 2020, POOR, criterion="income")

    refresh_status(duc)
    refresh_status(lan)

    assert _status(duc) == ("poor", "income", 2019)
    assert _status(lan) == ("poor", "income", 2020)


def test_refresh_status_is_persisted(world, db):
    pao = world.households.pao
    _review(pao, 2020, AVERAGE)
    refresh_status(pao)
    db.session.flush()
    db.session.expire_all()

    assert _status(db.session.get(type(pao), pao.id)) == ("escaped", None, 2020)
