"""Searching the household registry: folding, filters, sort orders, pages, scope.

Every test here only reads, so the module shares one world (see ``shared_app``): the three
households of tests/factories.py, with causes on A-0001 (no land) and B-0001 (no land, illness),
and B-0001 urban.
"""

import pytest
from sqlalchemy import select

from app.models import PovertyCause
from app.services.households import HouseholdFilter, search_households
from tests.factories import build_world


def codes(user, **flt) -> list[str]:
    return [h.code for h in search_households(user, HouseholdFilter(**flt)).items]


def cause(db, code: str) -> PovertyCause:
    return db.session.scalars(select(PovertyCause).where(PovertyCause.code == code)).one()


@pytest.fixture(scope="module")
def _world(shared_app):
    db = shared_app.extensions["sqlalchemy"]
    world = build_world()
    world.households.duc.causes = [cause(db, "NO_LAND")]
    world.households.pao.causes = [cause(db, "NO_LAND"), cause(db, "ILLNESS")]
    world.households.pao.area = "urban"
    db.session.commit()
    return world


@pytest.fixture
def world(_world, shared_db):
    return _world


@pytest.mark.parametrize(
    "q,expected",
    [
        ("nguyen van duc", ["A-0001"]),
        ("Nguyễn Văn Đức", ["A-0001"]),
        ("NGUYEN", ["A-0001"]),
        ("duc", ["A-0001"]),
        ("ĐỨC", ["A-0001"]),
        ("  duc   nguyen ", ["A-0001"]),
        ("giang seo", ["B-0001"]),
        ("Giàng Seo Pao", ["B-0001"]),
        ("hoang lan", ["A-0002"]),
        ("a-0002", ["A-0002"]),
        ("nguyen lan", []),
        ("khong co ai", []),
        ("", ["A-0001", "A-0002", "B-0001"]),
    ],
)
def test_search_is_diacritic_and_case_insensitive(world, q, expected):
    assert codes(world.users.admin, q=q) == expected


@pytest.mark.parametrize("q", ["%", "_", "%duc", "n_uyen"])
def test_like_wildcards_in_the_query_match_literally(world, q):
    assert codes(world.users.admin, q=q) == []


def test_a_commune_user_never_sees_another_commune_household(world):
    staff_a = world.users.staff_a

    assert codes(staff_a) == ["A-0001", "A-0002"]
    assert codes(staff_a, q="Giàng Seo Pao") == []
    assert codes(staff_a, q="B-0001") == []
    assert codes(staff_a, unit_id=world.commune_b.id) == []
    assert codes(staff_a, unit_id=world.village_b1.id, q="pao") == []
    assert codes(world.users.staff_b) == ["B-0001"]


@pytest.mark.parametrize(
    "flt,expected",
    [
        ({"status": "poor"}, ["A-0001", "B-0001"]),
        ({"status": "near_poor"}, ["A-0002"]),
        ({"status": "escaped"}, []),
        ({"criterion": "income"}, ["A-0001"]),
        ({"criterion": "deprivation"}, ["B-0001"]),
        ({"area": "urban"}, ["B-0001"]),
        ({"area": "rural"}, ["A-0001", "A-0002"]),
        ({"status": "poor", "area": "rural"}, ["A-0001"]),
        ({"status": "poor", "q": "pao"}, ["B-0001"]),
    ],
)
def test_filters(world, flt, expected):
    assert codes(world.users.admin, **flt) == expected


@pytest.mark.parametrize(
    "unit,expected",
    [
        ("village_a1", ["A-0001"]),
        ("village_a2", ["A-0002"]),
        ("commune_a", ["A-0001", "A-0002"]),
        ("commune_b", ["B-0001"]),
        ("district", ["A-0001", "A-0002", "B-0001"]),
    ],
)
def test_the_unit_filter_takes_a_unit_and_everything_below(world, unit, expected):
    assert codes(world.users.admin, unit_id=getattr(world, unit).id) == expected


def test_the_cause_filter(world, db):
    admin = world.users.admin

    assert codes(admin, cause_id=cause(db, "NO_LAND").id) == ["A-0001", "B-0001"]
    assert codes(admin, cause_id=cause(db, "ILLNESS").id) == ["B-0001"]
    assert codes(admin, cause_id=cause(db, "DISASTER").id) == []
    assert codes(world.users.staff_a, cause_id=cause(db, "ILLNESS").id) == []


@pytest.mark.parametrize(
    "sort,expected",
    [
        ("code", ["A-0001", "A-0002", "B-0001"]),
        ("-code", ["B-0001", "A-0002", "A-0001"]),
        # by folded head name: giang seo pao < hoang thi lan < nguyen van duc
        ("name", ["B-0001", "A-0002", "A-0001"]),
        ("-name", ["A-0001", "A-0002", "B-0001"]),
        # near_poor before poor, then by code
        ("status", ["A-0002", "A-0001", "B-0001"]),
        ("no-such-order", ["A-0001", "A-0002", "B-0001"]),
    ],
)
def test_sort_orders(world, sort, expected):
    assert codes(world.users.admin, sort=sort) == expected


@pytest.mark.parametrize(
    "page,expected_page,expected_codes,first,last",
    [
        (1, 1, ["A-0001", "A-0002"], 1, 2),
        (2, 2, ["B-0001"], 3, 3),
        (3, 2, ["B-0001"], 3, 3),
        (99, 2, ["B-0001"], 3, 3),
        (0, 1, ["A-0001", "A-0002"], 1, 2),
        (-4, 1, ["A-0001", "A-0002"], 1, 2),
    ],
)
def test_pagination_clamps_to_the_pages_there_are(world, page, expected_page, expected_codes, first, last):
    result = search_households(world.users.admin, HouseholdFilter(page=page, per_page=2))

    assert [h.code for h in result.items] == expected_codes
    assert (result.total, result.pages, result.page) == (3, 2, expected_page)
    assert (result.first_index, result.last_index) == (first, last)


def test_an_empty_result_is_one_empty_page(world):
    result = search_households(world.users.admin, HouseholdFilter(q="khong co ai", page=5, per_page=2))

    assert (result.items, result.total, result.pages, result.page) == ([], 0, 1, 1)
    assert (result.first_index, result.last_index) == (0, 0)


def test_a_text_search_ranks_the_head_name_first_and_counts_up_to_the_limit(world, db):
    # a member of Đức's household (A-0001) shares the name of Pao, the head of B-0001
    world.households.duc.search_text += " | giang seo pao"
    db.session.flush()
    admin = world.users.admin

    for limit in (None, 2, 1000):
        result = search_households(admin, HouseholdFilter(q="Giàng Seo Pao"), count_limit=limit)
        assert ([h.code for h in result.items], result.total, result.more) == (["B-0001", "A-0001"], 2, False)

    capped = search_households(admin, HouseholdFilter(q="Giàng Seo Pao"), count_limit=1)
    assert ([h.code for h in capped.items], capped.total, capped.more) == (["A-0001"], 1, True)


@pytest.mark.parametrize(
    "sort,page,expected_codes,expected_page",
    [
        ("", 1, ["A-0001", "A-0002"], 1),  # past the limit: in code order, not ranked
        ("name", 1, ["B-0001", "A-0002"], 1),  # or in the order asked
        ("", 2, ["A-0001", "A-0002"], 1),  # only the counted matches have pages
    ],
)
def test_past_the_count_limit_the_total_is_a_floor(world, sort, page, expected_codes, expected_page):
    # "-0" is in every household code
    flt = HouseholdFilter(q="-0", sort=sort, page=page, per_page=2)
    result = search_households(world.users.admin, flt, count_limit=2)

    assert [h.code for h in result.items] == expected_codes
    assert (result.total, result.more, result.pages, result.page) == (2, True, 1, expected_page)
    assert search_households(world.users.admin, flt).total == 3  # no limit: the exact count
