"""GET /api/v1/targets: a unit's indicators against its targets, scoped, in the OpenAPI document."""

from datetime import date
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import Target
from app.services import indicators

KEYS = [spec.key for spec in indicators.INDICATORS]


@pytest.fixture
def on_20_march_2020(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", date(2020, 3, 20))


def _set(unit, year: int, **values) -> None:
    for key, value in values.items():
        db.session.add(Target(year=year, unit_id=unit.id, indicator=key, value=Decimal(value)))
    db.session.commit()


def test_targets_of_a_unit_and_year(world, login_as, on_20_march_2020):
    _set(world.commune_a, 2020, hygienic_water=85, new_jobs=3)
    body = login_as(world.users.staff_a).get("/api/v1/targets?unit=99901&year=2020").get_json()
    assert body["unit"] == {"code": "99901", "name": "Xã Cẩm Giàng Thử"}
    assert (body["year"], body["as_of"]) == (2020, "2020-03-20")
    assert [row["indicator"] for row in body["indicators"]] == KEYS
    by_key = {row["indicator"]: row for row in body["indicators"]}
    water = by_key["hygienic_water"]  # duc, the commune's one poor household, is not deprived of it
    assert (water["target"], water["actual"], water["projected"], water["status"]) == (
        85.0,
        100.0,
        100.0,
        "achieved",
    )
    assert (
        water["measure"] == "percent"
        and water["definition"] == indicators.BY_KEY["hygienic_water"].definition
    )
    jobs = by_key["new_jobs"]
    assert (jobs["target"], jobs["actual"], jobs["projected"], jobs["status"]) == (3.0, 0.0, 0.0, "at_risk")
    assert by_key["poverty_rate_reduction"] | {"name": None, "definition": None} == {
        "indicator": "poverty_rate_reduction",
        "name": None,
        "definition": None,
        "measure": "points",
        "target": None,
        "actual": None,
        "projected": None,
        "status": "no_target",
    }


def test_targets_default_to_the_callers_unit_and_this_year(world, login_as, on_20_march_2020):
    body = login_as(world.users.staff_a).get("/api/v1/targets").get_json()
    assert (body["unit"]["code"], body["year"]) == ("99901", 2020)
    past = login_as(world.users.staff_a).get("/api/v1/targets?year=2019").get_json()
    assert past["as_of"] == "2019-12-31"  # a past year is measured at its end


def test_targets_are_scoped_and_arguments_checked(world, login_as, on_20_march_2020):
    client = login_as(world.users.staff_a)
    assert client.get("/api/v1/targets?unit=99902").status_code == 404  # the other commune
    assert client.get("/api/v1/targets?unit=00000").status_code == 404
    for year in ("soon", "1999", "2101"):
        response = client.get(f"/api/v1/targets?year={year}")
        assert response.status_code == 400
        assert response.get_json() == {"error": "year must be a year from 2000 to 2100"}


def test_targets_require_login(world, client):
    assert client.get("/api/v1/targets").status_code in (302, 401)


def test_the_demo_districts_2020_targets_are_the_articles(demo_client):
    body = demo_client("manager").get("/api/v1/targets?year=2020").get_json()
    assert body["unit"]["name"] == "Huyện Bạch Thông"
    targets = {row["indicator"]: row["target"] for row in body["indicators"] if row["target"] is not None}
    assert targets == {
        "poverty_rate_reduction": 2.3,
        "new_jobs": 550.0,
        "health_insurance": 100.0,
        "hygienic_water": 85.0,
        "tuition_exemption": 100.0,
        "telecom": 90.0,
        "information": 80.0,
        "tasks:HOUSING": 500.0,  # the district's own, beside the article's
    }
    statuses = {row["indicator"]: row["status"] for row in body["indicators"]}
    assert statuses["poverty_rate_reduction"] == "pending"  # the 2020 review is not done by 20 March
    assert set(statuses.values()) <= {"achieved", "on_track", "at_risk", "pending", "no_target"}
