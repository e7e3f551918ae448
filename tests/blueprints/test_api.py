"""The read-only JSON API, its OpenAPI document (checked against the URL map), and /healthz."""

import json
import re
import socket

import pytest
from openapi_spec_validator import validate

from app.extensions import db as _db
from tests.blueprints.helpers import RULES, TWELVE_DIGITS, add_member, bulk_households
from tests.conftest import database_url, make_test_app

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
