"""Responsibility screens: the coverage table (per commune, per village, totals, links,
drill-down, scope, empty state) and the officer workload (figures, order, bar, scope, pages)."""

from datetime import date
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from app.models import Assignment
from app.services import scope
from app.services.audit import utcnow
from tests.blueprints.helpers import is_full_page, parse
from tests.factories import make_household, make_review, make_task, make_unit, make_user

TODAY = date(2020, 3, 20)


def _assign(db, household, organisation, officer=None) -> Assignment:
    row = Assignment(
        household_id=household.id,
        organisation_id=organisation.id,
        officer_id=officer.id if officer else None,
        start_date=date(2020, 1, 1),
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def followed(world, db):
    """Đức (poor, commune A) follows staff.a; Lan (near poor, commune A) the commune's organisation
    alone; Pao (poor, commune B) nobody; a poor household of village A2 an officer since deactivated."""
    org_a = world.organisations.a
    _assign(db, world.households.duc, org_a, world.users.staff_a)
    _assign(db, world.households.lan, org_a)
    gone = make_user("staff", world.commune_a, "gone.a")
    left = make_household(world.village_a2, "Lục Văn Mất", code="A-0003")
    make_review(left, 2019, "poor")
    _assign(db, left, org_a, gone)
    gone.active = False
    db.session.commit()
    return SimpleNamespace(org_a=org_a, gone=gone, left=left)


def _row(doc, unit_id: int):
    rows = [r for r in doc.find_all("tr") if r.attrs.get("data-unit") == str(unit_id)]
    assert len(rows) == 1, f"expected one row of unit {unit_id}, found {len(rows)}"
    return rows[0]


def _figures(row, status: str) -> tuple[str, ...]:
    """total, assigned, unassigned, orphaned and share of one status in a row, as shown."""
    cells = {e.attrs.get("data-figure"): e.text for e in row.iter() if e.attrs.get("data-figure")}
    return tuple(cells[f"{status}-{k}"] for k in ("total", "assigned", "unassigned", "orphaned", "share"))


def _links(row) -> set[tuple[str, tuple]]:
    """(path, sorted query) of every link to the household list in a row."""
    found = set()
    for a in row.find_all("a"):
        url = urlsplit(a.attrs["href"])
        if url.path == "/households":
            found.add((url.path, tuple(sorted((k, v[0]) for k, v in parse_qs(url.query).items()))))
    return found


def test_coverage_of_a_district_by_commune(world, login_as, followed):
    response = login_as(world.users.manager).get("/responsibility/coverage")

    assert response.status_code == 200 and is_full_page(response)
    doc = parse(response)
    a, b = _row(doc, world.commune_a.id), _row(doc, world.commune_b.id)
    assert _figures(a, "poor") == ("2", "1", "0", "1", "50,00 %")
    assert _figures(a, "near_poor") == ("1", "1", "0", "0", "100,00 %")
    assert _figures(b, "poor") == ("1", "0", "1", "0", "0,00 %")
    assert _figures(b, "near_poor") == ("0", "0", "0", "0", "—")
    total = _row(doc, world.district.id)
    assert total.find_all("td")[0].text == "Tổng cộng"
    assert _figures(total, "poor") == ("3", "1", "1", "1", "33,33 %")
    assert _figures(total, "near_poor") == ("1", "1", "0", "0", "100,00 %")


def test_each_count_links_to_the_households_of_its_unit_and_status(world, login_as, followed):
    doc = parse(login_as(world.users.manager).get("/responsibility/coverage"))

    def links(unit) -> set:
        found = set()
        for status in ("poor", "near_poor"):
            found.add(("/households", (("status", status), ("unit", str(unit.id)))))
            for category in ("assigned", "orphaned", "unassigned"):
                query = (("followed", category), ("status", status), ("unit", str(unit.id)))
                found.add(("/households", query))
        return found

    assert _links(_row(doc, world.commune_a.id)) == links(world.commune_a)
    assert _links(_row(doc, world.district.id)) == links(world.district)
    counts = [a for a in _row(doc, world.commune_b.id).find_all("a") if a.attrs.get("data-figure")]
    assert len(counts) == 8  # total, assigned, unassigned and orphaned of each status


def test_a_count_opens_the_list_of_exactly_those_households(world, login_as, followed):
    client = login_as(world.users.manager)
    doc = parse(client.get("/responsibility/coverage"))
    (link,) = [
        a for a in _row(doc, world.district.id).find_all("a") if a.attrs["data-figure"] == "poor-orphaned"
    ]

    listed = parse(client.get(link.attrs["href"]))

    codes = {td.text.strip() for td in listed.find_all("td", class_="code")}
    assert codes == {"A-0003"}  # Lục Văn Mất, whose officer was deactivated
    chosen = [o.attrs["value"] for o in listed.by_id("followed").find_all("option") if "selected" in o.attrs]
    assert chosen == ["orphaned"]


def test_a_commune_links_to_its_villages_and_back(world, login_as, followed):
    client = login_as(world.users.manager)
    doc = parse(client.get("/responsibility/coverage"))
    drill = [a for a in _row(doc, world.commune_a.id).find_all("a") if "data-drill" in a.attrs]
    assert [a.attrs["href"] for a in drill] == [f"/responsibility/coverage?unit={world.commune_a.id}"]
    assert not doc.find_all("nav", class_="breadcrumb")

    response = client.get(drill[0].attrs["href"])
    assert response.status_code == 200
    villages = parse(response)
    assert _figures(_row(villages, world.village_a1.id), "poor") == ("1", "1", "0", "0", "100,00 %")
    assert _figures(_row(villages, world.village_a2.id), "poor") == ("1", "0", "0", "1", "0,00 %")
    assert _figures(_row(villages, world.commune_a.id), "poor") == ("2", "1", "0", "1", "50,00 %")
    assert not [r for r in villages.find_all("tr") if r.attrs.get("data-unit") == str(world.village_b1.id)]
    assert not [a for a in villages.find_all("a") if "data-drill" in a.attrs]
    crumbs = villages.find_all("nav", class_="breadcrumb")[0]
    assert [(a.attrs["href"], a.text) for a in crumbs.find_all("a")] == [
        ("/responsibility/coverage", world.district.name)
    ]
    assert world.commune_a.name in crumbs.text


def test_a_commune_user_sees_its_villages(world, login_as, followed):
    doc = parse(login_as(world.users.staff_a).get("/responsibility/coverage"))
    units = [r.attrs["data-unit"] for r in doc.find_all("tr") if r.attrs.get("data-unit")]
    assert units == [str(world.village_a1.id), str(world.village_a2.id), str(world.commune_a.id)]
    assert _figures(_row(doc, world.commune_a.id), "near_poor") == ("1", "1", "0", "0", "100,00 %")
    assert not [a for a in doc.find_all("a") if "data-drill" in a.attrs]
    assert not doc.find_all("nav", class_="breadcrumb")


@pytest.mark.parametrize("who", ["supervisor_a", "staff", "admin"])
def test_every_role_may_read_coverage_in_its_scope(world, login_as, followed, who):
    response = login_as(getattr(world.users, who)).get("/responsibility/coverage")
    assert response.status_code == 200


@pytest.mark.parametrize("unit", ["commune_b", "village_b1", "district", "province"])
def test_a_unit_outside_the_scope_is_not_found(world, login_as, unit):
    client = login_as(world.users.staff_a)
    for path in ("/responsibility/coverage", "/responsibility/workload"):
        assert client.get(f"{path}?unit={getattr(world, unit).id}").status_code == 404


@pytest.mark.parametrize("value", ["999999", "abc", "-1", "1.5"])
def test_a_unit_that_is_no_unit_is_not_found(world, login_as, value):
    client = login_as(world.users.manager)
    for path in ("/responsibility/coverage", "/responsibility/workload"):
        assert client.get(f"{path}?unit={value}").status_code == 404


def test_a_scope_without_poor_or_near_poor_households_shows_the_empty_state(world, db, login_as):
    commune_c = make_unit("99903", "Xã Không Nghèo", "commune", world.district)
    make_unit("99903-01", "Thôn Khá", "village", commune_c)
    user = make_user("staff", commune_c, "staff.c")
    db.session.commit()
    scope.forget_units()

    doc = parse(login_as(user).get("/responsibility/coverage"))
    assert doc.find_all("div", class_="empty") and not doc.find_all("table")
    manager = login_as(world.users.manager)
    assert parse(manager.get(f"/responsibility/coverage?unit={commune_c.id}")).find_all("div", class_="empty")
    district = parse(manager.get("/responsibility/coverage"))
    assert not district.find_all("div", class_="empty")  # the district has some
    assert _figures(_row(district, commune_c.id), "poor") == ("0", "0", "0", "0", "—")


def test_coverage_requires_a_login(client):
    response = client.get("/responsibility/coverage")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/auth/login"


# -- workload --------------------------------------------------------------------------------------


@pytest.fixture
def busy(world, db, followed, app, monkeypatch):
    """On top of ``followed``: staff.a also follows an escaped household and has tasks in every
    status (two overdue on 20 March 2020); supervisor.a follows one poor household."""
    monkeypatch.setitem(app.config, "TODAY", TODAY)
    org_a = followed.org_a
    escaped = make_household(world.village_a1, "Nông Văn Thoát", code="A-0004")
    make_review(escaped, 2019, "poor")
    make_review(escaped, 2020, "not_poor")
    _assign(db, escaped, org_a, world.users.staff_a)
    theo = make_household(world.village_a2, "Lý Thị Theo", code="A-0005")
    make_review(theo, 2019, "poor")
    _assign(db, theo, org_a, world.users.supervisor_a)
    duc = world.households.duc
    for status, due in [
        ("planned", date(2020, 6, 30)),
        ("in_progress", date(2020, 3, 1)),
        ("blocked", date(2020, 3, 19)),
        ("done", date(2020, 1, 10)),
        ("cancelled", date(2020, 1, 10)),
    ]:
        make_task(duc, org_a, officer=world.users.staff_a, status=status, due=due)
    make_task(duc, org_a, officer=followed.gone, status="planned", due=date(2020, 1, 1))
    db.session.commit()
    return followed


def _officers(doc) -> list[str]:
    return [r.attrs["data-officer"] for r in doc.find_all("tr") if r.attrs.get("data-officer")]


def _load(doc, username: str) -> dict[str, str]:
    row = next(r for r in doc.find_all("tr") if r.attrs.get("data-officer") == username)
    figures = {e.attrs["data-figure"]: e.text for e in row.iter() if e.attrs.get("data-figure")}
    bar = row.find_all("div", class_="bar")[0].children[0].attrs["class"]
    return figures | {"bar": bar}


def test_workload_of_the_district(world, login_as, busy):
    response = login_as(world.users.manager).get("/responsibility/workload")

    assert response.status_code == 200 and is_full_page(response)
    doc = parse(response)
    # most households first, then by name and age; "gone.a" is deactivated, managers are no officers
    assert _officers(doc) == ["staff.a", "supervisor.a", "staff.t", "staff.b"]
    assert _load(doc, "staff.a") == {  # Lan is followed by the organisation alone
        "households": "2",
        "poor": "1",
        "near_poor": "0",
        "other": "1",
        "open_tasks": "3",
        "overdue_tasks": "2",
        "bar": "w-100",
    }
    assert _load(doc, "supervisor.a") == {
        "households": "1",
        "poor": "1",
        "near_poor": "0",
        "other": "0",
        "open_tasks": "0",
        "overdue_tasks": "0",
        "bar": "w-50",
    }
    assert _load(doc, "staff.t")["bar"] == "w-0"
    row = next(r for r in doc.find_all("tr") if r.attrs.get("data-officer") == "staff.a")
    assert world.organisations.a.name in row.text and world.commune_a.name in row.text


def test_workload_counts_overdue_from_the_applications_today(world, login_as, busy, app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", date(2020, 3, 19))  # the blocked task is due today
    doc = parse(login_as(world.users.manager).get("/responsibility/workload"))
    assert _load(doc, "staff.a")["overdue_tasks"] == "1"


def test_workload_is_scoped(world, login_as, busy):
    doc = parse(login_as(world.users.staff_b).get("/responsibility/workload"))
    assert _officers(doc) == ["staff.b"]
    assert _load(doc, "staff.b")["households"] == "0"  # Pao is nobody's
    assert not doc.find_all("select")  # one commune: nothing to narrow


def test_workload_narrowed_to_a_commune(world, login_as, busy):
    client = login_as(world.users.manager)
    full = parse(client.get("/responsibility/workload"))
    options = [o.attrs["value"] for o in full.find_all("option")]
    assert options == ["", str(world.commune_a.id), str(world.commune_b.id)]

    doc = parse(client.get(f"/responsibility/workload?unit={world.commune_a.id}"))
    assert _officers(doc) == ["staff.a", "supervisor.a"]
    selected = [o.attrs["value"] for o in doc.find_all("option") if "selected" in o.attrs]
    assert selected == [str(world.commune_a.id)]
    tabs = {a.text: a.attrs["href"] for a in doc.find_all("nav", class_="tabs")[0].find_all("a")}
    assert f"/responsibility/coverage?unit={world.commune_a.id}" in tabs.values()


def test_workload_pages_of_fifty_and_the_results_fragment(world, db, login_as, busy):
    for i in range(50):
        make_user("supervisor", world.commune_b, f"extra.{i:02d}", full_name=f"Cán bộ {i:02d}")
    db.session.commit()
    client = login_as(world.users.manager)

    first = parse(client.get("/responsibility/workload"))
    assert len(_officers(first)) == 50 and _officers(first)[0] == "staff.a"
    response = client.htmx_get("/responsibility/workload?page=2", target="workload-results")
    assert response.status_code == 200 and not is_full_page(response)
    assert "HX-Request" in response.headers.get("Vary", "")
    second = parse(response)
    assert second.roots[0].id == "workload-results"
    assert len(_officers(second)) == 4
    assert set(_officers(first)).isdisjoint(_officers(second))


def test_workload_without_officers_shows_the_empty_state(world, login_as, busy):
    doc = parse(login_as(world.users.manager).get(f"/responsibility/workload?unit={world.village_a1.id}"))
    assert doc.find_all("div", class_="empty") and not _officers(doc)


def test_workload_requires_a_login(client):
    response = client.get("/responsibility/workload")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/auth/login"
