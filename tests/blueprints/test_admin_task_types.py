"""The task catalogue, edited by admins: list, create, change, withdraw; validation; audit."""

import pytest
from sqlalchemy import select

from app.models import AuditLog, PovertyCause, TaskType
from tests.blueprints.helpers import location_path, parse
from tests.factories import make_task, task_type


def _cause(code: str) -> PovertyCause:
    from app.extensions import db

    return db.session.scalars(select(PovertyCause).where(PovertyCause.code == code)).one()


def _form(**changes) -> dict:
    data = {
        "code": " solar_lamp ",
        "name_vi": "Hỗ trợ đèn năng lượng mặt trời",
        "name_en": "Solar lamp",
        "indicator_codes": ["HOUSING_AREA"],
        "cause_ids": [],
        "programme_project": "QĐ 90/QĐ-TTg, Dự án 2",
        "default_duration_days": "45",
        "outcome_kind": "text",
        "sort_order": "5",
        "active": "y",
    }
    data.update(changes)
    return data


def test_the_seeded_catalogue_is_listed_with_what_each_type_addresses(world, db, login_as):
    make_task(world.households.duc, world.organisations.a)  # a HEALTH_CARD task
    db.session.commit()

    doc = parse(login_as(world.users.admin).get("/admin/task-types"))

    rows = {r.attrs["data-code"]: r for r in doc.find_all("tr") if r.attrs.get("data-code")}
    assert len(rows) == db.session.scalar(select(db.func.count(TaskType.id))) >= 10
    health = rows["HEALTH_CARD"].text
    assert "Cấp thẻ bảo hiểm y tế" in health and "Bảo hiểm y tế" in health and "30" in health
    assert [td.text for td in rows["HEALTH_CARD"].find_all("td")][6] == "1"  # tasks of this type


def test_an_admin_adds_a_type_that_new_tasks_then_offer(world, db, login_as):
    client = login_as(world.users.admin)
    assert client.get("/admin/task-types/new").status_code == 200

    done = client.post_form("/admin/task-types/new", _form(cause_ids=[str(_cause("NO_CAPITAL").id)]))

    assert done.status_code == 302 and location_path(done) == "/admin/task-types"
    made = db.session.scalars(select(TaskType).where(TaskType.code == "SOLAR_LAMP")).one()
    assert (made.indicators, [c.code for c in made.causes], made.default_duration_days) == (
        ["HOUSING_AREA"],
        ["NO_CAPITAL"],
        45,
    )
    row = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "task_types")).one()
    assert row.action == "create" and row.changes["code"] == [None, "SOLAR_LAMP"]
    new_task = login_as(world.users.staff_a).get(f"/tasks/new/{world.households.duc.id}")
    assert "Hỗ trợ đèn năng lượng mặt trời" in new_task.text


def test_an_admin_changes_and_withdraws_a_type_its_tasks_stay(world, db, login_as):
    health = task_type("HEALTH_CARD")
    task = make_task(world.households.duc, world.organisations.a)
    db.session.commit()
    client = login_as(world.users.admin)
    form = parse(client.get(f"/admin/task-types/{health.id}/edit"))
    checked = {
        e.attrs["value"] for e in form.find_all("input", name="indicator_codes") if "checked" in e.attrs
    }
    assert checked == {"HEALTH_INSURANCE"}

    data = _form(
        code="SOMETHING_ELSE",  # ignored: a code never changes
        name_vi=health.name_vi,
        name_en=health.name_en,
        indicator_codes=["HEALTH_INSURANCE"],
        cause_ids=[str(c.id) for c in health.causes],
        programme_project=health.programme_project,
        default_duration_days="60",
        outcome_kind="card",
        sort_order=str(health.sort_order),
        active="",
    )
    assert client.post_form(f"/admin/task-types/{health.id}/edit", data).status_code == 302

    db.session.expire_all()
    health = db.session.get(TaskType, health.id)
    assert (health.code, health.default_duration_days, health.active) == ("HEALTH_CARD", 60, False)
    change = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "task_types")).one()
    assert change.changes == {"default_duration_days": [30, 60], "active": [True, False]}
    assert db.session.get(type(task), task.id).task_type_id == health.id
    new_task = login_as(world.users.staff_a).get(f"/tasks/new/{world.households.duc.id}")
    assert f'value="{health.id}"' not in new_task.text  # withdrawn: no longer offered


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "HEALTH_CARD"}, "code"),
        ({"code": "có dấu"}, "code"),
        ({"name_vi": ""}, "name_vi"),
        ({"default_duration_days": "0"}, "default_duration_days"),
        ({"default_duration_days": "731"}, "default_duration_days"),
        ({"indicator_codes": [], "cause_ids": []}, "indicator_codes"),
        ({"indicator_codes": ["NO_SUCH_INDICATOR"]}, "indicator_codes"),
        ({"programme_project": ""}, "programme_project"),
    ],
    ids=[
        "duplicate",
        "bad-code",
        "no-name",
        "zero-days",
        "too-long",
        "addresses-nothing",
        "unknown",
        "no-project",
    ],
)
def test_invalid_types_answer_422_and_write_nothing(world, db, login_as, changes, field):
    before = db.session.scalar(select(db.func.count(TaskType.id)))

    response = login_as(world.users.admin).post_form("/admin/task-types/new", _form(**changes))

    assert response.status_code == 422
    doc = parse(response)
    wrappers = [e for e in doc.find_all("div") if "has-error" in (e.attrs.get("class") or "").split()]
    assert any(e.find_all(name=field) for e in wrappers), field
    assert db.session.scalar(select(db.func.count(TaskType.id))) == before
    assert db.session.scalars(select(AuditLog).where(AuditLog.object_type == "task_types")).all() == []
