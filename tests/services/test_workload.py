"""Officer workload: households followed by status, open and overdue tasks, order, scope, pages.

The module shares one world (see ``shared_app``); each test adds its people, assignments and tasks
in a transaction that is rolled back.
"""

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from app.extensions import db as _db
from app.services import scope
from app.services.workload import officer_workload
from tests.factories import (
    make_assignment,
    make_household,
    make_organisation,
    make_review,
    make_task,
    make_user,
)

TODAY = date(2020, 3, 20)


def _household(village, name: str, *results: str):
    """A household with official reviews from 2019, one a year (default: poor in 2019)."""
    household = make_household(village, name)
    for year, result in enumerate(results or ("poor",), start=2019):
        make_review(household, year, result)
    return household


def _rows(page) -> dict[str, tuple]:
    """username → (poor, near poor, other, open tasks, overdue tasks)."""
    return {r.username: (r.poor, r.near_poor, r.other, r.open_tasks, r.overdue_tasks) for r in page.items}


def _family(unit) -> frozenset[int]:
    return scope.unit_index().family(unit.id)


@pytest.fixture
def load(world, db):
    """Commune A: staff.a follows Đức (poor), Lan (near poor) and an escaped household and has
    tasks in every status; supervisor.a follows one poor household (and no longer another);
    a deactivated officer follows one. Commune B: staff.b follows Pao (poor)."""
    org_a = world.organisations.a
    org_b = make_organisation(world.commune_b, "UBND Xã Quang Thuận Thử")
    staff_a, supervisor_a, staff_b = world.users.staff_a, world.users.supervisor_a, world.users.staff_b
    escaped = _household(world.village_a1, "Nông Văn Thoát", "poor", "not_poor")
    make_assignment(world.households.duc, org_a, staff_a)
    make_assignment(world.households.lan, org_a, staff_a)
    make_assignment(escaped, org_a, staff_a)
    make_assignment(_household(world.village_a2, "Lý Thị Theo"), org_a, supervisor_a)
    make_assignment(_household(world.village_a2, "Lý Văn Trước"), org_a, supervisor_a, end=date(2020, 2, 1))
    make_assignment(world.households.pao, org_b, staff_b)
    gone = make_user("staff", world.commune_a, "gone.a", active=False)
    make_assignment(_household(world.village_a1, "Lục Văn Mất"), org_a, gone)
    duc = world.households.duc
    for status, due in [
        ("planned", date(2020, 6, 30)),  # open
        ("planned", TODAY),  # due today: open, not yet overdue
        ("in_progress", date(2020, 3, 1)),  # overdue
        ("blocked", date(2020, 3, 19)),  # overdue
        ("done", date(2020, 1, 10)),  # past due but done: neither
        ("cancelled", date(2020, 1, 10)),
    ]:
        make_task(duc, org_a, officer=staff_a, status=status, due=due)
    make_task(duc, org_a, status="planned", due=date(2020, 1, 1))  # the organisation's, no officer
    make_task(world.households.pao, org_b, officer=staff_b, status="in_progress", due=date(2020, 2, 1))
    make_task(duc, org_a, officer=gone, status="planned", due=date(2020, 1, 1))
    return SimpleNamespace(org_a=org_a, org_b=org_b, gone=gone)


def test_households_by_status_and_open_and_overdue_tasks(world, load):
    page = officer_workload(world.users.manager, TODAY)
    assert _rows(page) == {
        "staff.a": (1, 1, 1, 4, 2),
        "supervisor.a": (1, 0, 0, 0, 0),
        "staff.b": (1, 0, 0, 1, 1),
        "staff.t": (0, 0, 0, 0, 0),  # district staff follow nobody yet
    }
    first = page.items[0]
    assert (first.full_name, first.role, first.organisation) == ("Người dùng staff", "staff", load.org_a.name)
    assert first.scope_unit_id == world.commune_a.id and first.households == 3


def test_deactivated_officers_managers_and_admins_are_not_listed(world, load):
    usernames = {r.username for r in officer_workload(world.users.admin, TODAY).items}
    assert "gone.a" not in usernames
    assert not usernames & {"manager.t", "admin.t"}


def test_most_households_first_then_by_name(world, load):
    page = officer_workload(world.users.manager, TODAY)
    # supervisor.a and staff.b follow one household each: by full name ("… staff" < "… supervisor")
    assert [r.username for r in page.items] == ["staff.a", "staff.b", "supervisor.a", "staff.t"]


def test_the_bar_is_relative_to_the_busiest_officer(world, load):
    loads = {r.username: r.relative_load for r in officer_workload(world.users.manager, TODAY).items}
    assert loads == {"staff.a": 100, "staff.b": 33, "supervisor.a": 33, "staff.t": 0}


def test_pages_of_officers_keep_the_busiest_as_reference(world, load):
    second = officer_workload(world.users.manager, TODAY, page=2, per_page=3)
    assert (second.total, second.page, second.pages) == (4, 2, 2)
    assert [(r.username, r.relative_load) for r in second.items] == [("staff.t", 0)]
    beyond = officer_workload(world.users.manager, TODAY, page=9, per_page=3)
    assert beyond.page == 2 and len(beyond.items) == 1
    assert officer_workload(world.users.manager, TODAY, page=-1, per_page=3).page == 1


def test_a_commune_user_sees_its_officers_and_only_what_lies_in_its_commune(world, load):
    make_assignment(_household(world.village_b1, "Giàng Thị Xa"), load.org_b, world.users.staff_a)  # in B
    make_task(world.households.pao, load.org_b, officer=world.users.staff_a, due=date(2020, 1, 1))
    seen_by_a = officer_workload(world.users.supervisor_a, TODAY)
    assert _rows(seen_by_a) == {"staff.a": (1, 1, 1, 4, 2), "supervisor.a": (1, 0, 0, 0, 0)}
    assert _rows(officer_workload(world.users.staff_b, TODAY)) == {"staff.b": (1, 0, 0, 1, 1)}
    seen_by_district = _rows(officer_workload(world.users.manager, TODAY))
    assert seen_by_district["staff.a"] == (2, 1, 1, 5, 3)


def test_narrowed_to_a_unit_lists_its_officers_with_their_whole_load(world, load):
    make_assignment(_household(world.village_b1, "Giàng Thị Xa"), load.org_b, world.users.staff_a)  # in B
    page = officer_workload(world.users.manager, TODAY, unit_ids=_family(world.commune_a))
    assert _rows(page) == {"staff.a": (2, 1, 1, 4, 2), "supervisor.a": (1, 0, 0, 0, 0)}
    assert page.total == 2


def test_no_officer_is_an_empty_page(world, db):
    empty = officer_workload(world.users.manager, TODAY, unit_ids=_family(world.village_a1))
    assert (empty.items, empty.total, empty.page) == ([], 0, 1)


def test_a_fixed_number_of_queries_whatever_the_number_of_officers(world, load):
    def statements() -> int:
        officer_workload(world.users.manager, TODAY)  # loads the unit index and the user's row
        seen = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)

        event.listen(_db.engine, "before_cursor_execute", count)
        try:
            officer_workload(world.users.manager, TODAY)
        finally:
            event.remove(_db.engine, "before_cursor_execute", count)
        return len(seen)

    few = statements()
    for i in range(8):
        officer = make_user("supervisor", world.commune_b, f"extra.{i}")
        make_assignment(_household(world.village_b1, f"Hộ Thêm {i}"), load.org_b, officer)
        make_task(world.households.pao, load.org_b, officer=officer, due=date(2020, 1, 1))
    assert statements() == few == 2  # the count with the busiest, then the page
