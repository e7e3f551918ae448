"""The targets page: read in scope, set by managers with every value checked, split across communes."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Target
from tests.blueprints.helpers import parse
from tests.factories import make_task, task_type

FORM = {f"target-{key}": "" for key in ("poverty_rate_reduction", "new_jobs", "hygienic_water")}


@pytest.fixture(autouse=True)
def on_20_march_2020(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", date(2020, 3, 20))


def in_english(user):
    user.locale = "en"
    db.session.commit()
    return user


def targets_of(unit) -> dict[str, Decimal]:
    db.session.expire_all()
    rows = db.session.scalars(select(Target).where(Target.unit_id == unit.id, Target.year == 2020))
    return {row.indicator: row.value for row in rows}


def test_a_manager_sets_a_units_targets_typed_the_vietnamese_way(world, login_as):
    client = login_as(world.users.manager)
    page = client.get("/targets/?year=2020")
    assert page.status_code == 200
    assert 'name="target-new_jobs"' in page.get_data(as_text=True)
    response = client.post_form(
        "/targets/?unit=999&year=2020",
        FORM
        | {
            "target-poverty_rate_reduction": "2,3",
            "target-new_jobs": "1.000",
            "target-hygienic_water": "85 %",
        },
    )
    assert response.status_code == 303
    assert targets_of(world.district) == {
        "poverty_rate_reduction": Decimal("2.3"),
        "new_jobs": Decimal(1000),
        "hygienic_water": Decimal(85),
    }
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "targets.set")).one()
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        world.users.manager.id,
        "admin_units",
        world.district.id,
    )
    assert entry.changes["new_jobs"] == [None, "1000"]

    # emptied: no target any more
    client.post_form(
        "/targets/?unit=999&year=2020", FORM | {"target-new_jobs": "1000", "target-hygienic_water": "85"}
    )
    assert targets_of(world.district) == {"new_jobs": Decimal(1000), "hygienic_water": Decimal(85)}


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("new_jobs", "5.5", "Give a whole number, such as 550."),  # in English
        ("new_jobs", "-3", "Give a whole number, such as 550."),
        ("hygienic_water", "120", "Give a value from 0 to 100."),
        ("hygienic_water", "8,5.1", "Give a number with at most one decimal separator, such as 2,3."),
        ("hygienic_water", "abc", "Give a number, such as 2,3."),
        ("poverty_rate_reduction", "2,345", "Give at most two decimal places."),
        ("poverty_rate_reduction", "0", "Give a value from 0.01 to 100."),
    ],
)
def test_a_wrong_value_saves_nothing_and_says_why_beside_it(world, login_as, field, typed, message):
    client = login_as(in_english(world.users.manager))
    response = client.post_form(
        "/targets/?unit=999&year=2020",
        FORM | {"target-new_jobs": "550", f"target-{field}": typed},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="target-{field}-error">{message}</div>' in html.replace("&#39;", "'")
    assert f'value="{typed}"' in html  # what was typed comes back to be corrected
    assert targets_of(world.district) == {}  # nothing saved, not even the valid 550


def test_who_may_read_and_set_targets(world, login_as):
    staff = login_as(world.users.staff_a)
    page = staff.get("/targets/")
    assert page.status_code == 200 and "Xã Cẩm Giàng Thử" in page.get_data(as_text=True)
    assert 'name="target-new_jobs"' not in page.get_data(as_text=True)  # read only
    assert staff.post_form("/targets/?year=2020", FORM | {"target-new_jobs": "5"}).status_code == 403
    assert staff.get("/targets/?unit=99902").status_code == 404  # the other commune is out of scope
    assert targets_of(world.commune_a) == {}


def test_split_shares_a_count_in_proportion_to_poor_households_and_checks_the_sum(world, login_as):
    """Each commune has one poor household in 2019: 5 jobs split 3 + 2 (largest remainder, first
    commune first); a rate is given to each commune as it is."""
    client = login_as(in_english(world.users.manager))
    client.post_form(
        "/targets/?unit=999&year=2020", FORM | {"target-new_jobs": "5", "target-hygienic_water": "85"}
    )
    for key in ("new_jobs", "hygienic_water"):
        response = client.post_form("/targets/split?unit=999&year=2020", {"indicator": key})
        assert response.status_code == 303
    assert targets_of(world.commune_a) == {"new_jobs": Decimal(3), "hygienic_water": Decimal(85)}
    assert targets_of(world.commune_b) == {"new_jobs": Decimal(2), "hygienic_water": Decimal(85)}
    page = client.get("/targets/?unit=999&year=2020").get_data(as_text=True)
    assert "does not add up" not in page

    # a commune's target changed: the sum no longer matches the district's, and the page says so
    response = client.post_form(
        "/targets/?unit=99901&year=2020",
        FORM | {"target-new_jobs": "4", "target-hygienic_water": "85"},
        follow_redirects=True,
    )
    assert "add up to 6, but Huyện Thử Nghiệm's target is 5." in response.get_data(as_text=True).replace(
        "&#39;", "'"
    )
    assert "does not add up" in client.get(
        "/targets/?unit=999&year=2020",
    ).get_data(as_text=True)


def test_split_needs_the_units_own_target_and_a_known_indicator(world, login_as):
    client = login_as(world.users.manager)
    response = client.post_form("/targets/split?unit=999&year=2020", {"indicator": "new_jobs"})
    assert response.status_code == 303
    assert targets_of(world.commune_a) == {}
    assert client.post_form("/targets/split?unit=999&year=2020", {"indicator": "nonsense"}).status_code == 400


def test_a_custom_target_counts_the_tasks_of_a_kind_of_support_done_in_the_year(world, login_as):
    """A manager adds "HOUSING: 6" for the district: the actual value is the housing tasks done in
    2020 by today (one; a cancelled one and an open one do not count), with the others' progress."""
    for status, done_on in (("done", date(2020, 2, 3)), ("cancelled", None), ("in_progress", None)):
        task = make_task(
            world.households.duc, world.organisations.a, "HOUSING", status=status, done_on=done_on
        )
        task.created_at = datetime(2020, 1, 5)
    db.session.commit()
    client = login_as(in_english(world.users.manager))
    response = client.post_form(
        "/targets/?unit=999&year=2020", FORM | {"new-type": "HOUSING", "new-value": "6"}
    )
    assert response.status_code == 303
    assert targets_of(world.district) == {"tasks:HOUSING": Decimal(6)}
    page = parse(client.get("/targets/?unit=999&year=2020"))
    row = page.find_all("tr", data_indicator="tasks:HOUSING")[0]
    assert "1" == row.find_all("span", data_target_figure="actual")[0].text
    assert row.attrs["data-status"] == "at_risk"  # 1 by 20 March (80 days of 366): 5 projected
    body = client.get("/api/v1/targets?year=2020").get_json()
    custom = [r for r in body["indicators"] if r["indicator"] == "tasks:HOUSING"]
    assert custom == [
        {
            "indicator": "tasks:HOUSING",
            "name": custom[0]["name"],
            "definition": custom[0]["definition"],
            "measure": "count",
            "target": 6.0,
            "actual": 1.0,
            "projected": 5.0,
            "status": "at_risk",
        }
    ]

    # emptied: the custom target goes
    client.post_form("/targets/?unit=999&year=2020", FORM | {"target-tasks:HOUSING": ""})
    assert targets_of(world.district) == {}


def test_a_custom_target_needs_a_known_kind_and_a_number(world, login_as):
    client = login_as(in_english(world.users.manager))
    for form, message in (
        ({"new-type": "NO_SUCH_TYPE", "new-value": "3"}, "Choose a kind of support from the list."),
        ({"new-type": "HOUSING", "new-value": ""}, "Give the number of tasks to complete."),
        ({"new-type": "HOUSING", "new-value": "2.5"}, "Give a whole number, such as 550."),  # English
    ):
        response = client.post_form("/targets/?unit=999&year=2020", FORM | form)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert targets_of(world.district) == {}


def test_a_custom_target_of_a_retired_kind_of_support_can_still_be_changed_or_cleared(world, login_as):
    db.session.add(Target(year=2020, unit_id=world.district.id, indicator="tasks:HOUSING", value=Decimal(6)))
    task_type("HOUSING").active = False
    db.session.commit()
    client = login_as(in_english(world.users.manager))
    page = client.get("/targets/?unit=999&year=2020").get_data(as_text=True)
    assert 'name="target-tasks:HOUSING"' in page and '<option value="HOUSING"' not in page  # no new one
    response = client.post_form("/targets/?unit=999&year=2020", FORM | {"target-tasks:HOUSING": "8"})
    assert response.status_code == 303 and targets_of(world.district) == {"tasks:HOUSING": Decimal(8)}
    client.post_form("/targets/?unit=999&year=2020", FORM | {"target-tasks:HOUSING": ""})
    assert targets_of(world.district) == {}
    refused = client.post_form(
        "/targets/?unit=999&year=2020", FORM | {"new-type": "HOUSING", "new-value": "3"}
    )
    assert refused.status_code == 422 and targets_of(world.district) == {}


@pytest.mark.parametrize(
    ("field", "typed"), [("hygienic_water", "Infinity"), ("hygienic_water", "NaN"), ("new_jobs", "²")]
)
def test_values_that_are_not_plain_numbers_are_refused_not_a_server_error(world, login_as, field, typed):
    response = login_as(world.users.manager).post_form(
        "/targets/?unit=999&year=2020", FORM | {f"target-{field}": typed}
    )
    assert response.status_code == 422
    assert targets_of(world.district) == {}


def test_indicators_are_named_in_the_readers_language(world, login_as):
    db.session.add(Target(year=2020, unit_id=world.district.id, indicator="new_jobs", value=Decimal(5)))
    db.session.add(Target(year=2020, unit_id=world.district.id, indicator="tasks:HOUSING", value=Decimal(2)))
    db.session.commit()
    vietnamese = login_as(world.users.manager).get("/targets/?year=2020").get_data(as_text=True)
    assert "Lao động có việc làm mới" in vietnamese and "Hỗ trợ nhà ở" in vietnamese
    english = login_as(in_english(world.users.manager))
    for page in (english.get("/targets/?year=2020"), english.get("/")):
        html = page.get_data(as_text=True).replace("&#39;", "'")
        assert "Workers with a new job" in html and "Housing support" in html
        assert "Job-placement tasks done in the year with the employer recorded." in html
        assert "Lao động có việc làm mới" not in html
