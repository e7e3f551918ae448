"""The audit log search page: admins only, read-only, a results fragment, citizen IDs masked."""

from datetime import datetime, timedelta

import pytest
from flask import render_template_string
from flask_login import login_user

from app.services import audit, audit_log
from tests.blueprints.helpers import TWELVE_DIGITS, Html, is_full_page, parse
from tests.factories import make_user

T0 = datetime(2020, 3, 20, 8, 0)


def _write(db, *rows: dict) -> list[int]:
    """Audit rows written through ``audit.record`` (``at`` optional), committed; their ids."""
    written = []
    for i, spec in enumerate(rows):
        spec = dict(spec)
        at = spec.pop("at", T0 + timedelta(minutes=i))
        row = audit.record(spec.pop("action", "update"), **spec)
        row.at = at
        written.append(row)
    db.session.commit()
    return [row.id for row in written]


def _row_texts(response) -> list[str]:
    section = parse(response).by_id("audit-results")
    return [tr.text for tr in section.find_all("tr")[1:]]


def test_no_route_can_change_the_audit_log(app):
    writes = {"POST", "PUT", "PATCH", "DELETE"}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin/audit") or "audit" in rule.endpoint:
            assert not (rule.methods & writes), f"{rule.rule} ({rule.endpoint}) accepts {rule.methods}"
    assert "admin.audit" in {rule.endpoint for rule in app.url_map.iter_rules()}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writing_to_the_audit_page_is_refused(world, login_as, method):
    client = login_as(world.users.admin)
    response = getattr(client, method)("/admin/audit", headers={"X-CSRFToken": client.csrf})
    assert response.status_code == 405


@pytest.mark.parametrize("role", ["staff", "manager", "supervisor_a", "staff_a"])
def test_only_admins_read_the_audit_log(world, login_as, role):
    client = login_as(getattr(world.users, role))
    assert client.get("/admin/audit").status_code == 403
    assert client.htmx_get("/admin/audit", target="audit-results").status_code == 403


def test_the_page_lists_the_rows_newest_first_with_their_changes(world, db, login_as):
    staff = world.users.staff_a
    _write(
        db,
        {"actor": staff, "ip": "10.0.0.7", "obj": world.households.duc, "changes": {"phone": [None, "0987"]}},
        {
            "action": "status",
            "actor": staff,
            "ip": "10.0.0.8",
            "object_type": "support_tasks",
            "object_id": 5,
        },
    )
    response = login_as(world.users.admin).get("/admin/audit")

    assert response.status_code == 200 and is_full_page(response)
    assert "HX-Request" in response.headers.get("Vary", "")
    doc = parse(response)
    assert doc.find_all("form", role="search") and doc.has_id("audit-results")
    rows = _row_texts(response)
    assert len(rows) >= 2  # and the admin's own login
    task_row, household_row = [r for r in rows if "staff.a" in r]
    assert "10.0.0.8" in task_row and "#5" in task_row
    assert "10.0.0.7" in household_row and "Số điện thoại: — → 0987" in household_row
    link = doc.by_id("audit-results").find_all("a", href=f"/households/{world.households.duc.id}")
    assert link and link[0].text == f"#{world.households.duc.id}"
    assert not doc.by_id("audit-results").find_all("form"), "nothing to edit or delete"


def test_htmx_gets_the_results_fragment(world, db, login_as):
    _write(db, {"actor": world.users.staff_a, "ip": "10.0.0.7"})
    client = login_as(world.users.admin)

    response = client.htmx_get("/admin/audit?actor=staff.a", target="audit-results")

    assert response.status_code == 200 and not is_full_page(response)
    assert [e.id for e in parse(response).roots] == ["audit-results"]
    assert "HX-Request" in response.headers.get("Vary", "")
    assert is_full_page(client.htmx_get("/admin/audit", target="main"))


def test_filters_come_from_the_query_string(world, db, login_as):
    staff = world.users.staff_a
    _write(
        db,
        {"action": "update", "actor": staff, "ip": "10.0.0.1", "obj": world.households.duc},
        {"action": "update", "actor": world.users.staff_b, "ip": "10.0.0.2", "obj": world.households.pao},
        {"action": "login", "actor": staff, "ip": "10.9.9.9", "obj": staff, "at": T0 - timedelta(days=2)},
    )
    client = login_as(world.users.admin)

    def rows(query: str) -> list[str]:
        return _row_texts(client.htmx_get(f"/admin/audit?{query}", target="audit-results"))

    assert len(rows("action=update")) == 2
    assert [("staff.b" in r) for r in rows("action=update&actor=staff.b")] == [True]
    assert len(rows("object_type=users&actor=staff.a")) == 1
    assert len(rows("q=10.9.")) == 1
    assert len(rows("actor=staff.a&since=2020-03-20&until=2020-03-20")) == 1
    assert len(rows("actor=staff.a&until=2020-03-18")) == 1
    # An invalid filter is ignored, not an error.
    assert len(rows("actor=staff.a&since=yesterday&object_type=nonsense&page=-3")) == 2
    empty = client.htmx_get("/admin/audit?actor=nobody", target="audit-results")
    assert "empty" in parse(empty).by_id("audit-results").children[0].attrs.get("class", "")


def test_the_full_page_keeps_the_filters(world, db, login_as):
    _write(db, {"action": "login_failed", "actor": world.users.staff_a})
    client = login_as(world.users.admin)
    doc = parse(client.get("/admin/audit?action=login_failed&actor=staff.a&since=2020-03-01"))

    selected = [o.attrs["value"] for o in doc.by_id("action").find_all("option") if "selected" in o.attrs]
    assert selected == ["login_failed"]
    assert doc.by_id("actor").attrs["value"] == "staff.a"
    assert doc.by_id("since").attrs["value"] == "2020-03-01"
    types = {o.attrs["value"] for o in doc.by_id("object_type").find_all("option")}
    assert types >= {"", "households", "users"}


def test_pagination_swaps_the_results(world, db, login_as):
    _write(db, *({"actor": world.users.staff_a, "ip": f"10.0.1.{i}"} for i in range(60)))
    client = login_as(world.users.admin)

    first = parse(client.get("/admin/audit?actor=staff.a"))
    nav = first.by_id("audit-results").find_all("a", rel="next")
    assert nav and nav[0].attrs["hx-target"] == "#audit-results"
    second = client.htmx_get(nav[0].attrs["href"], target="audit-results")
    assert len(_row_texts(second)) == 10


def test_citizen_ids_are_never_shown_in_clear(world, db, login_as):
    top_admin = make_user("admin", world.province, "admin.tinh")
    db.session.commit()
    _write(
        db,
        {
            "actor": world.users.staff_a,
            "obj": world.households.duc.members[0],
            "changes": {"citizen_id": ["001203045678", "CCCD034195001234"], "old_card": [341950012345, None]},
        },
        {"action": "login_failed", "actor_name": "079203004321", "ip": "203.0.113.9"},
    )
    client = login_as(top_admin)

    for response in (client.get("/admin/audit"), client.htmx_get("/admin/audit", target="audit-results")):
        body = response.get_data(as_text=True)
        assert "001******678" in body and "CCCD034******234" in body and "341******345" in body
        assert "079******321" in body
        assert TWELVE_DIGITS.search(body) is None
        for clear in ("001203045678", "034195001234", "341950012345", "079203004321"):
            assert clear not in body


@pytest.mark.parametrize(("role", "shows_ip"), [("staff_a", False), ("admin", True)])
def test_the_history_include_renders_a_records_rows(app, world, db, role, shows_ip):
    user = getattr(world.users, role)
    _write(
        db,
        {
            "actor": world.users.staff_a,
            "ip": "10.0.0.7",
            "obj": world.households.duc,
            "changes": {"citizen_id": [None, "001203045678"]},
        },
    )
    history = audit_log.history(user, "households", world.households.duc.id)
    with app.test_request_context("/"):
        login_user(user)
        html = render_template_string('{% include "audit/_history.html" %}', history=history)
        empty = render_template_string('{% include "audit/_history.html" %}', history=[])
        absent = render_template_string('{% include "audit/_history.html" %}')

    doc = Html(html)
    assert doc.by_id("history").find_all("tbody")[0].find_all("tr")[0].text.count("001******678") == 1
    assert ("10.0.0.7" in html) is shows_ip
    assert Html(empty).has_id("history") and "001" not in empty
    assert absent.strip() == ""


def test_ids_and_codes_in_changes_are_shown_by_name(world, db, login_as):
    """An officer, an organisation, a unit and a status read as names, not numbers and codes."""
    from app.services import responsibility, tasks
    from tests.factories import make_task

    responsibility.assign_households(
        world.users.staff_a, [world.households.duc.id], world.organisations.a.id, world.users.supervisor_a.id
    )
    task = make_task(world.households.duc, world.organisations.a, officer=world.users.supervisor_a)
    tasks.change_status(world.users.supervisor_a, task, "in_progress", version=task.version)
    db.session.commit()
    client = login_as(world.users.admin)

    household = parse(client.get(f"/households/{world.households.duc.id}")).by_id("history").text
    page = parse(client.get("/admin/audit")).by_id("audit-results").text

    assert "Cán bộ phụ trách: — → Người dùng supervisor" in household
    assert "Tổ chức: — → UBND Xã Cẩm Giàng Thử" in household
    assert "Kế hoạch → Đang thực hiện" in page
