"""Coverage of the poor and near-poor households: assigned, unassigned, orphaned; per unit.

The module shares one world (see ``shared_app``); each test adds its households and assignments
in a transaction that is rolled back.
"""

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from app.extensions import db as _db
from app.services import scope
from app.services.coverage import Category, Coverage, coverage, coverage_by_unit
from app.services.households import HouseholdFilter, search_households
from tests.factories import day, make_assignment, make_household, make_review, make_unit, make_user


def _household(village, name: str, *results: str):
    """A household with official reviews from 2019, one a year (default: poor in 2019)."""
    household = make_household(village, name)
    for year, result in enumerate(results or ("poor",), start=2019):
        make_review(household, year, result)
    return household


def _unit(world, attr: str) -> scope.Unit:
    return scope.unit_index().units[getattr(world, attr).id]


@pytest.fixture
def people(world, db):
    """Commune A (see ``world``): Đức (poor) assigned to staff.a, Lan (near poor) to the
    commune's organisation without an officer; commune B: Pao, poor and unassigned."""
    org_a = world.organisations.a
    make_assignment(world.households.duc, org_a, world.users.staff_a)
    make_assignment(world.households.lan, org_a)
    return SimpleNamespace(org_a=org_a)


def test_assigned_unassigned_and_near_poor_apart(world, people):
    district = coverage(world.users.staff, _unit(world, "district"))
    assert district.poor == Coverage(assigned=1, unassigned=1, orphaned=0)
    assert district.near_poor == Coverage(assigned=1, unassigned=0, orphaned=0)
    assert district.as_json() == {
        "poor": {"assigned": 1, "unassigned": 1, "orphaned": 0},
        "near_poor": {"assigned": 1, "unassigned": 0, "orphaned": 0},
    }
    assert district.poor.total == 2


def test_a_deactivated_officer_orphans_the_households(world, people):
    gone = make_user("staff", world.commune_a, "gone.a")
    poor = _household(world.village_a1, "Lục Văn Mất")
    near = _household(world.village_a2, "Bế Thị Cận", "near_poor")
    make_assignment(poor, people.org_a, gone)
    make_assignment(near, people.org_a, gone)
    before = coverage(world.users.staff_a, _unit(world, "commune_a"))
    assert (before.poor.assigned, before.near_poor.assigned) == (2, 2)
    gone.active = False
    _db.session.flush()
    after = coverage(world.users.staff_a, _unit(world, "commune_a"))
    assert after.poor == Coverage(assigned=1, unassigned=0, orphaned=1)
    assert after.near_poor == Coverage(assigned=1, unassigned=0, orphaned=1)


def test_an_officer_moved_out_of_the_households_scope_orphans_them(world, people):
    officer = make_user("staff", world.commune_a, "moving.a")
    make_assignment(_household(world.village_a2, "Hà Văn Chuyển"), people.org_a, officer)
    commune_a = _unit(world, "commune_a")
    assert coverage(world.users.staff_a, commune_a).poor.orphaned == 0
    officer.scope_unit_id = world.commune_b.id  # moved to another commune
    _db.session.flush()
    assert coverage(world.users.staff_a, commune_a).poor == Coverage(assigned=1, unassigned=0, orphaned=1)
    officer.scope_unit_id = world.district.id  # promoted to the district: still contains it
    _db.session.flush()
    assert coverage(world.users.staff_a, commune_a).poor == Coverage(assigned=2, unassigned=0, orphaned=0)
    officer.scope_unit_id = world.village_a1.id  # a village of the same commune, not the household's
    _db.session.flush()
    assert coverage(world.users.staff_a, commune_a).poor.orphaned == 1


def _listed(user, unit: scope.Unit) -> dict[str, Coverage]:
    """What the household list shows, filtered by unit, status and who follows them, as counts."""
    listed = {status: Coverage() for status in ("poor", "near_poor")}
    for status, counts in listed.items():
        for category in Category:
            flt = HouseholdFilter(unit_id=unit.id, status=status, followed=category, per_page=100)
            setattr(counts, category, search_households(user, flt).total)
    return listed


def _agree(user, unit: scope.Unit) -> None:
    """The list filtered by category finds exactly the households coverage counts."""
    counted = coverage(user, unit)
    assert _listed(user, unit) == {"poor": counted.poor, "near_poor": counted.near_poor}


def test_the_household_list_filter_agrees_with_the_counts(world, people, merged):
    moving = make_user("staff", world.commune_a, "moving.a")
    gone = make_user("staff", world.commune_a, "gone.a")
    make_assignment(_household(world.village_a2, "Hà Văn Chuyển"), people.org_a, moving)
    make_assignment(_household(world.village_a1, "Lục Văn Mất", "near_poor"), people.org_a, gone)
    make_assignment(_household(merged.xv, "Triệu Văn Cũ"), people.org_a, merged.user_y)  # merged: assigned
    _household(merged.yv, "Triệu Thị Mới")
    district = _unit(world, "district")
    _agree(world.users.staff, district)
    moving.scope_unit_id = world.commune_b.id
    gone.active = False
    _db.session.flush()
    counted = coverage(world.users.staff, district)
    assert (counted.poor.orphaned, counted.near_poor.orphaned) == (1, 1)
    _agree(world.users.staff, district)
    _agree(world.users.staff_a, _unit(world, "commune_a"))
    _agree(merged.user_y, scope.unit_index().units[merged.y.id])


def test_an_unknown_category_is_refused(world):
    with pytest.raises(ValueError):
        search_households(world.users.staff, HouseholdFilter(followed="everyone"))


def test_an_ended_assignment_leaves_the_household_unassigned(world, people):
    household = _household(world.village_a1, "Ma Thị Hết")
    make_assignment(household, people.org_a, world.users.staff_a, end=date(2021, 5, 1))
    assert coverage(world.users.staff_a, _unit(world, "commune_a")).poor == Coverage(1, 1, 0)
    make_assignment(household, people.org_a, world.users.supervisor_a)  # handed over
    assert coverage(world.users.staff_a, _unit(world, "commune_a")).poor == Coverage(2, 0, 0)


def test_only_poor_and_near_poor_households_count(world, people):
    escaped = _household(world.village_a1, "Nông Văn Thoát", "poor", "not_poor")
    make_assignment(escaped, people.org_a)
    _household(world.village_a1, "Lý Văn Khá", "average")  # other
    make_household(world.village_a1, "Hoàng Văn Mới")  # never reviewed
    result = coverage(world.users.staff, _unit(world, "district"))
    assert (result.poor.total, result.near_poor.total) == (2, 1)


def test_coverage_is_scoped(world, people):
    assert coverage(world.users.staff_b, _unit(world, "commune_b")).as_json() == {
        "poor": {"assigned": 0, "unassigned": 1, "orphaned": 0},
        "near_poor": {"assigned": 0, "unassigned": 0, "orphaned": 0},
    }
    # a unit above the user's scope unit still counts only what lies in scope
    outside = coverage(world.users.staff_b, _unit(world, "district"))
    assert (outside.poor.total, outside.near_poor.total) == (1, 0)
    village = coverage(world.users.staff, _unit(world, "village_a2"))
    assert (village.poor.total, village.near_poor) == (0, Coverage(assigned=1))


def test_coverage_by_commune_and_by_village(world, people):
    by_commune = coverage_by_unit(world.users.staff, _unit(world, "district"), "commune")
    assert [(r.unit.code, r.as_json()["poor"]) for r in by_commune] == [
        ("99901", {"assigned": 1, "unassigned": 0, "orphaned": 0}),
        ("99902", {"assigned": 0, "unassigned": 1, "orphaned": 0}),
    ]
    by_village = coverage_by_unit(world.users.staff_a, _unit(world, "commune_a"), "village")
    assert [r.unit.code for r in by_village] == ["99901-01", "99901-02"]
    a1, a2 = by_village
    assert (a1.poor, a1.near_poor) == (Coverage(assigned=1), Coverage())
    assert (a2.poor, a2.near_poor) == (Coverage(), Coverage(assigned=1))


def test_rows_add_up_to_the_whole(world, people):
    _household(world.village_b1, "Triệu Văn Thêm", "near_poor")
    whole = coverage(world.users.staff, _unit(world, "district"))
    for level in ("commune", "village"):
        rows = coverage_by_unit(world.users.staff, _unit(world, "district"), level)
        for status in ("poor", "near_poor"):
            for category in ("assigned", "unassigned", "orphaned"):
                total = sum(getattr(r.of(status), category) for r in rows)
                assert total == getattr(whole.of(status), category), (level, status, category)


def test_coverage_by_unit_lists_units_without_households_and_stays_in_scope(world, people):
    empty = make_unit("99901-03", "Thôn Trống", "village", world.commune_a)
    scope.forget_units()
    rows = coverage_by_unit(world.users.staff_a, _unit(world, "commune_a"), "village")
    assert [r.unit.code for r in rows] == ["99901-01", "99901-02", "99901-03"]
    assert rows[2].unit.id == empty.id and rows[2].as_json()["poor"] == {
        "assigned": 0,
        "unassigned": 0,
        "orphaned": 0,
    }
    commune_rows = coverage_by_unit(world.users.staff_a, _unit(world, "district"), "commune")
    assert [r.unit.code for r in commune_rows] == ["99901"]
    assert coverage_by_unit(world.users.staff, _unit(world, "village_a1"), "commune") == []


def test_coverage_by_unit_refuses_an_unknown_level(world):
    with pytest.raises(ValueError):
        coverage_by_unit(world.users.staff, _unit(world, "district"), "province")


@pytest.fixture
def merged(world, db):
    """Commune X (until 2020-01-31, its village XV kept) merged into commune Y."""
    y = make_unit("99903", "Xã Hợp Nhất", "commune", world.district, valid_from=day("2020-02-01"))
    x = make_unit("99903", "Xã Cũ", "commune", world.district, valid_to=day("2020-01-31"), successor_id=y.id)
    xv = make_unit("99903-01", "Thôn Cũ", "village", x, valid_to=day("2020-01-31"))
    yv = make_unit("99903-51", "Thôn Mới", "village", y, valid_from=day("2020-02-01"))
    scope.forget_units()
    return SimpleNamespace(x=x, y=y, xv=xv, yv=yv, user_y=make_user("staff", y, "staff.y"))


def test_an_officer_of_the_merged_commune_covers_the_absorbed_one(world, people, merged):
    org_y = world.organisations.a  # the organisation does not decide coverage
    make_assignment(_household(merged.xv, "Triệu Văn Cũ"), org_y, merged.user_y)
    make_assignment(_household(merged.yv, "Triệu Thị Mới", "near_poor"), org_y, merged.user_y)
    y = scope.unit_index().units[merged.y.id]
    result = coverage(merged.user_y, y)
    assert (result.poor, result.near_poor) == (Coverage(assigned=1), Coverage(assigned=1))


def test_an_absorbed_commune_counts_under_the_commune_that_absorbed_it(world, people, merged):
    _household(merged.xv, "Triệu Văn Cũ")
    rows = coverage_by_unit(world.users.staff, _unit(world, "district"), "commune")
    by_id = {r.unit.id: r for r in rows}
    assert merged.x.id not in by_id  # no longer valid, and its households count under Y
    assert by_id[merged.y.id].poor == Coverage(unassigned=1)
    villages = coverage_by_unit(world.users.staff, _unit(world, "district"), "village")
    by_code = {r.unit.code: r for r in villages}
    assert by_code["99903-01"].poor == Coverage(unassigned=1)  # an old village with households is listed
    assert by_code["99903-51"].poor == Coverage()


def test_one_aggregate_query(world, people, merged):
    _household(merged.xv, "Triệu Văn Cũ")
    scope.unit_index()
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        coverage_by_unit(world.users.staff, _unit(world, "district"), "village")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if "assignments" in s]) == 1
