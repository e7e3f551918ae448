"""The read-only JSON API, its OpenAPI document (checked against the URL map), and /healthz."""

import json
import re
import socket
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from openapi_spec_validator import validate

from app.extensions import db as _db
from tests.blueprints.helpers import RULES, TWELVE_DIGITS, add_member, bulk_households
from tests.conftest import database_url, make_test_app
from tests.factories import (
    make_assignment,
    make_household,
    make_organisation,
    make_review,
    make_task,
    make_user,
)

CITIZEN_ID = "001203004567"


def test_households_listing_shape(world, login_as):
    response = login_as(world.users.staff).get("/api/v1/households")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert (body["total"], body["page"], body["per_page"]) == (3, 1, 25)
    duc = next(i for i in body["items"] if i["code"] == "A-0001")
    assert duc["id"] == world.households.duc.id
    assert duc["head_name"] == "Nguyễn Văn Đức"
    assert duc["unit"] == {"code": "99901-01", "name": "Thôn Nà Pài"}
    assert duc["status"] == "poor"
    assert [i["code"] for i in body["items"]] == ["A-0001", "A-0002", "B-0001"]


def test_households_search_and_filters(world, login_as):
    client = login_as(world.users.staff)
    assert [i["code"] for i in client.get("/api/v1/households?q=nguyen+van+duc").get_json()["items"]] == [
        "A-0001"
    ]
    assert client.get("/api/v1/households?status=near_poor").get_json()["total"] == 1
    assert client.get("/api/v1/households?unit=99902").get_json()["total"] == 1
    assert client.get("/api/v1/households?status=rich").status_code == 400


def test_per_page_is_capped_at_100(world, login_as):
    bulk_households(world.village_a1, 120, "API")
    client = login_as(world.users.staff)
    body = client.get("/api/v1/households?per_page=500").get_json()
    assert body["per_page"] == 100
    assert len(body["items"]) == 100
    assert body["total"] == 123
    last = client.get("/api/v1/households?per_page=100&page=2").get_json()
    assert (last["page"], len(last["items"])) == (2, 23)
    small = client.get("/api/v1/households?per_page=10&page=3").get_json()
    assert (small["page"], small["per_page"], len(small["items"])) == (3, 10, 10)


@pytest.mark.parametrize(
    "query",
    ["page=abc", "per_page=lots", "page=", "per_page=", "page=1.5", "per_page=1e3"],
)
def test_bad_paging_arguments_answer_400(world, login_as, query):
    response = login_as(world.users.staff).get(f"/api/v1/households?{query}")
    assert response.status_code == 400
    assert response.is_json
    assert "error" in response.get_json()


def test_household_detail_has_members_with_masked_citizen_ids(world, login_as):
    add_member(world.households.duc, "Nguyễn Thị Hoa", CITIZEN_ID, health_insurance_card="HN4010123456789")
    response = login_as(world.users.staff_a).get(f"/api/v1/households/{world.households.duc.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["code"] == "A-0001" and body["head_name"] == "Nguyễn Văn Đức"
    assert [m["full_name"] for m in body["members"]] == ["Nguyễn Văn Đức", "Nguyễn Thị Hoa"]
    hoa = body["members"][1]
    assert hoa["citizen_id"] == "001******567"
    assert hoa["has_health_insurance"] is True
    text = response.get_data(as_text=True)
    assert CITIZEN_ID not in text and TWELVE_DIGITS.search(text) is None
    assert "HN4010123456789" not in text


def test_unknown_household_is_a_json_404(world, login_as):
    response = login_as(world.users.staff).get("/api/v1/households/987654")
    assert response.status_code == 404
    assert response.is_json


STATS_FIELDS = {
    "households",
    "poor",
    "near_poor",
    "poor_rate",
    "near_poor_rate",
    "poor_by_income",
    "poor_by_income_urban",
    "poor_by_income_rural",
}


def test_stats_fields_and_two_decimal_rates(world, login_as):
    response = login_as(world.users.staff).get("/api/v1/stats")
    assert response.status_code == 200
    body = response.get_json()
    assert STATS_FIELDS <= set(body)
    assert body["households"] == 3
    assert (body["poor"], body["near_poor"]) == (2, 1)
    assert body["poor_rate"] == 66.67
    assert body["near_poor_rate"] == 33.33
    assert (body["poor_by_income"], body["poor_by_income_urban"], body["poor_by_income_rural"]) == (1, 0, 1)
    assert body["year"] == 2019
    raw = response.get_data(as_text=True)
    assert re.search(r'"poor_rate":\s*66\.67\b', raw)


def test_stats_of_a_village_and_of_a_year(world, login_as):
    client = login_as(world.users.staff)
    assert client.get("/api/v1/stats?unit=99902-01").get_json()["households"] == 1
    empty = client.get("/api/v1/stats?year=2018").get_json()
    assert (empty["households"], empty["poor_rate"]) == (0, 0.0)
    assert client.get("/api/v1/stats?year=soon").status_code == 400
    assert client.get("/api/v1/stats?unit=00000").status_code == 404


def test_units_listing(world, login_as):
    body = login_as(world.users.staff).get("/api/v1/units").get_json()
    by_code = {u["code"]: u for u in body["items"]}
    assert set(by_code) == {"999", "99901", "99902", "99901-01", "99901-02", "99902-01"}
    assert by_code["99901-01"]["parent"] == {"code": "99901", "name": "Xã Cẩm Giàng Thử"}
    assert by_code["99901"]["kind"] == "commune"


# -- /tasks -----------------------------------------------------------------------------------------


@pytest.fixture
def tasks(world):
    """Tasks due around today: commune A's (one of them done though past due), one of commune B."""
    today = date.today()
    a = world.organisations.a
    org_b = make_organisation(world.commune_b, "UBND Xã Quang Thuận Thử")
    duc, lan, pao = world.households.duc, world.households.lan, world.households.pao
    users = world.users
    found = SimpleNamespace(
        blocked=make_task(
            lan, a, officer=users.supervisor_a, status="blocked", due=today - timedelta(days=30)
        ),
        done=make_task(lan, a, "PRODUCTION", officer=users.staff_a, status="done", due=today - timedelta(10)),
        b=make_task(pao, org_b, officer=users.staff_b, due=today - timedelta(days=5)),
        late=make_task(duc, a, officer=users.staff_a, status="in_progress", due=today - timedelta(days=1)),
        today=make_task(duc, a, "LIVELIHOOD", due=today),
        soon=make_task(duc, a, "PRODUCTION", due=today + timedelta(days=1)),
    )
    _db.session.commit()
    return found


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


def test_tasks_listing_shape_and_order(world, tasks, login_as):
    response = login_as(world.users.staff).get("/api/v1/tasks")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert (body["total"], body["page"], body["per_page"]) == (6, 1, 25)
    t = tasks
    assert [i["id"] for i in body["items"]] == [
        t.blocked.id,
        t.done.id,
        t.b.id,
        t.late.id,
        t.today.id,
        t.soon.id,
    ]
    late = body["items"][3]
    assert late == {
        "id": t.late.id,
        "household_id": world.households.duc.id,
        "type": "HEALTH_CARD",
        "status": "in_progress",
        "due_date": (date.today() - timedelta(days=1)).isoformat(),
        "officer": {"id": world.users.staff_a.id, "username": "staff.a", "full_name": "Người dùng staff"},
        "organisation": {"id": world.organisations.a.id, "name": "UBND Xã Cẩm Giàng Thử"},
        "version": 1,
    }
    soon = body["items"][5]
    assert (soon["type"], soon["officer"], soon["status"]) == ("PRODUCTION", None, "planned")


def test_tasks_ties_on_due_date_are_ordered_by_id(world, tasks, login_as):
    twin = make_task(world.households.duc, world.organisations.a, "LIVELIHOOD", due=tasks.late.due_date)
    _db.session.commit()
    ids = _ids(login_as(world.users.staff).get("/api/v1/tasks"))
    assert ids.index(twin.id) == ids.index(tasks.late.id) + 1


def test_tasks_filters(world, tasks, login_as):
    client = login_as(world.users.staff)
    t = tasks
    assert _ids(client.get("/api/v1/tasks?status=done")) == [t.done.id]
    assert _ids(client.get("/api/v1/tasks?status=planned")) == [t.b.id, t.today.id, t.soon.id]
    assert _ids(client.get("/api/v1/tasks?unit=99902")) == [t.b.id]
    assert _ids(client.get("/api/v1/tasks?unit=99901-02")) == [t.blocked.id, t.done.id]
    assert client.get("/api/v1/tasks?unit=99901").get_json()["total"] == 5
    assert _ids(client.get("/api/v1/tasks?officer=staff.a")) == [t.done.id, t.late.id]
    assert _ids(client.get("/api/v1/tasks?officer=staff.a&status=in_progress")) == [t.late.id]
    assert _ids(client.get("/api/v1/tasks?status=&officer=&unit=&overdue=")) == _ids(
        client.get("/api/v1/tasks")
    )


def test_tasks_overdue_are_open_and_due_before_today(world, tasks, login_as):
    client = login_as(world.users.staff)
    t = tasks
    # due yesterday: overdue; due today and tomorrow: not yet; done though past due: not overdue
    assert _ids(client.get("/api/v1/tasks?overdue=true")) == [t.blocked.id, t.b.id, t.late.id]
    assert _ids(client.get("/api/v1/tasks?overdue=1&unit=99901")) == [t.blocked.id, t.late.id]
    assert _ids(client.get("/api/v1/tasks?overdue=true&status=done")) == []
    assert client.get("/api/v1/tasks?overdue=false").get_json()["total"] == 6


def test_tasks_officer_filter_unknown_or_out_of_scope_is_empty(world, tasks, login_as):
    client = login_as(world.users.staff_a)
    for name in ("nobody", "staff.b", "staff.t"):  # unknown; another commune's; the district's
        response = client.get(f"/api/v1/tasks?officer={name}")
        assert response.status_code == 200
        assert response.get_json() == {"items": [], "total": 0, "page": 1, "per_page": 25}


def test_tasks_officer_filter_matches_the_officer_the_items_show(world, tasks, login_as):
    """An officer from outside the caller's scope still names the caller's tasks they follow."""
    moved = make_task(world.households.duc, world.organisations.a, officer=world.users.staff_b)
    _db.session.commit()
    client = login_as(world.users.staff_a)
    assert _ids(client.get("/api/v1/tasks?officer=staff.b")) == [moved.id]
    item = client.get("/api/v1/tasks?officer=staff.b").get_json()["items"][0]
    assert item["officer"]["username"] == "staff.b"


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("status=finished", "status"),
        ("status=DONE", "status"),
        ("overdue=maybe", "overdue"),
        ("page=abc", None),
        ("per_page=", None),
    ],
)
def test_tasks_bad_arguments_answer_400(world, login_as, query, word):
    response = login_as(world.users.staff).get(f"/api/v1/tasks?{query}")
    assert response.status_code == 400
    assert response.is_json
    error = response.get_json()["error"]
    if word:
        assert word in error


def test_tasks_pagination(world, tasks, login_as):
    client = login_as(world.users.staff)
    t = tasks
    second = client.get("/api/v1/tasks?per_page=2&page=2").get_json()
    assert (second["total"], second["page"], second["per_page"]) == (6, 2, 2)
    assert [i["id"] for i in second["items"]] == [t.b.id, t.late.id]
    beyond = client.get("/api/v1/tasks?per_page=4&page=9").get_json()  # clamped to the last page
    assert (beyond["page"], [i["id"] for i in beyond["items"]]) == (2, [t.today.id, t.soon.id])
    assert client.get("/api/v1/tasks?per_page=500").get_json()["per_page"] == 100
    assert client.get("/api/v1/tasks?page=0").get_json()["page"] == 1


def test_tasks_are_scoped(world, tasks, login_as):
    client = login_as(world.users.staff_a)
    body = client.get("/api/v1/tasks").get_json()
    assert body["total"] == 5
    assert tasks.b.id not in [i["id"] for i in body["items"]]
    assert client.get("/api/v1/tasks?unit=99902").status_code == 404
    assert client.get("/api/v1/tasks?unit=99902-01").status_code == 404
    assert client.get("/api/v1/tasks?unit=00000").status_code == 404
    assert _ids(login_as(world.users.staff_b).get("/api/v1/tasks")) == [tasks.b.id]


# -- /coverage --------------------------------------------------------------------------------------


def _poor(village, name: str, *results: str):
    """A household with official reviews from 2019 (default: poor in 2019)."""
    household = make_household(village, name)
    for year, result in enumerate(results or ("poor",), start=2019):
        make_review(household, year, result)
    return household


@pytest.fixture
def coverage(world):
    """Commune A: Đức assigned to an active officer, Lan (near poor) to an organisation without
    an officer, one poor household whose officer was deactivated, one whose officer moved to
    commune B, one whose assignment ended, a near-poor one of the deactivated officer, and an
    escaped one (not counted); commune B: Pao, poor and unassigned."""
    org_a = world.organisations.a
    gone = make_user("staff", world.commune_a, "gone.a", active=False)
    moved = make_user("staff", world.commune_a, "moved.a")
    make_assignment(world.households.duc, org_a, world.users.staff_a)
    make_assignment(world.households.lan, org_a)
    make_assignment(_poor(world.village_a1, "Lục Văn Mất"), org_a, gone)
    make_assignment(_poor(world.village_a2, "Hà Văn Chuyển"), org_a, moved)
    make_assignment(_poor(world.village_a2, "Ma Thị Hết"), org_a, world.users.staff_a, end=date(2021, 5, 1))
    make_assignment(_poor(world.village_a1, "Bế Thị Cận", "near_poor"), org_a, gone)
    make_assignment(_poor(world.village_a1, "Nông Văn Thoát", "poor", "not_poor"), org_a)
    moved.scope_unit_id = world.commune_b.id
    _db.session.commit()


def _counts(assigned: int, unassigned: int, orphaned: int) -> dict:
    return {"assigned": assigned, "unassigned": unassigned, "orphaned": orphaned}


def test_coverage_counts(world, coverage, login_as):
    response = login_as(world.users.staff).get("/api/v1/coverage")
    assert response.status_code == 200
    assert response.get_json() == {"poor": _counts(1, 2, 2), "near_poor": _counts(1, 0, 1)}


def test_coverage_of_a_unit_and_scope(world, coverage, login_as):
    district = login_as(world.users.staff)
    assert district.get("/api/v1/coverage?unit=99901").get_json() == {
        "poor": _counts(1, 1, 2),
        "near_poor": _counts(1, 0, 1),
    }
    assert district.get("/api/v1/coverage?unit=99901-02").get_json() == {
        "poor": _counts(0, 1, 1),
        "near_poor": _counts(1, 0, 0),
    }
    assert district.get("/api/v1/coverage?unit=99902").get_json()["poor"] == _counts(0, 1, 0)
    commune_a = login_as(world.users.staff_a)
    assert (
        commune_a.get("/api/v1/coverage").get_json() == district.get("/api/v1/coverage?unit=99901").get_json()
    )
    assert commune_a.get("/api/v1/coverage?unit=99902").status_code == 404
    assert commune_a.get("/api/v1/coverage?unit=999").status_code == 404
    assert login_as(world.users.staff_b).get("/api/v1/coverage").get_json() == {
        "poor": _counts(0, 1, 0),
        "near_poor": _counts(0, 0, 0),
    }


@pytest.mark.parametrize("path", ["/api/v1/tasks", "/api/v1/coverage"])
def test_tasks_and_coverage_require_login(world, client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.get_json() == {"error": "authentication required"}


# -- OpenAPI ----------------------------------------------------------------------------------------


@pytest.fixture
def openapi(world, login_as) -> dict:
    response = login_as(world.users.staff).get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_openapi_document_is_valid(openapi):
    validate(openapi)
    assert openapi["openapi"].startswith("3.")


def _api_rules():
    return [
        pytest.param(rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"}), id=rule.rule)
        for rule in RULES
        if rule.rule.startswith("/api/v1/")
    ]


@pytest.mark.parametrize(("rule_text", "methods"), _api_rules())
def test_openapi_documents_every_api_route(openapi, rule_text, methods):
    server = openapi["servers"][0]["url"]
    path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule_text).removeprefix(server)
    assert path in openapi["paths"], f"{rule_text} is not in openapi.json"
    item = openapi["paths"][path]
    for method in methods:
        operation = item.get(method.lower())
        assert operation, f"{method} {rule_text} is not documented"
        assert "200" in operation["responses"]
        declared = {p["name"] for p in operation.get("parameters", []) + item.get("parameters", [])}
        for name in re.findall(r"{(\w+)}", path):
            assert name in declared, f"path parameter {name} of {rule_text} is not declared"


def test_openapi_documents_nothing_that_does_not_exist(openapi):
    server = openapi["servers"][0]["url"]
    routes = {re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", r.rule) for r in RULES}
    for path in openapi["paths"]:
        assert server + path in routes, path


def test_openapi_household_schema_matches_an_answer(world, login_as, openapi):
    item = login_as(world.users.staff).get("/api/v1/households").get_json()["items"][0]
    schema = openapi["components"]["schemas"]["Household"]
    assert set(schema["required"]) <= set(item)
    assert set(item) <= set(schema["properties"])
    stats = login_as(world.users.staff).get("/api/v1/stats").get_json()
    assert set(stats) <= set(openapi["components"]["schemas"]["Stats"]["properties"])


def test_openapi_task_and_coverage_schemas_match_answers(world, tasks, login_as, openapi):
    schemas = openapi["components"]["schemas"]
    client = login_as(world.users.staff)
    for item in client.get("/api/v1/tasks").get_json()["items"]:
        assert set(item) == set(schemas["Task"]["required"]) == set(schemas["Task"]["properties"])
        assert item["status"] in schemas["Task"]["properties"]["status"]["enum"]
        if item["officer"]:
            assert set(item["officer"]) == set(schemas["Task"]["properties"]["officer"]["properties"])
    body = client.get("/api/v1/coverage").get_json()
    assert set(body) == set(schemas["Coverage"]["properties"])
    for counts in body.values():
        assert set(counts) == set(schemas["CoverageCounts"]["properties"])


# -- /healthz ---------------------------------------------------------------------------------------


def test_healthz_answers_without_login_and_without_personal_data(world, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {"status": "ok", "database": "ok", "redis": "ok"}
    text = response.get_data(as_text=True)
    for secret in ("Nguyễn", "Giàng", "staff.a", "A-0001", "99901"):
        assert secret not in text and json.dumps(secret)[1:-1] not in text
    assert "Set-Cookie" not in response.headers or "giamngheo_session" not in response.headers["Set-Cookie"]


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthz_is_degraded_when_redis_is_down(tmp_path):
    app = make_test_app(database_url("health", tmp_path), f"redis://127.0.0.1:{_dead_port()}/0")
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["status"] == "degraded"
        assert body["database"] == "ok"
        assert body["redis"] != "ok"
        assert "127.0.0.1" not in json.dumps(body), "no connection details leak"
    finally:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
        app.extensions["redis"].close()
