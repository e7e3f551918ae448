"""Notifications: raised by the events, shown in the user's language, the polled bell, reading."""

from datetime import date, timedelta

from sqlalchemy import select

from app.models import Notification
from app.services import notifications, responsibility, tasks
from tests.blueprints.helpers import is_full_page, parse
from tests.factories import make_assignment, make_task, task_type


def _kinds(db, user) -> list[str]:
    return list(db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id)))


def test_assigning_households_and_tasks_notifies_the_officer_not_the_actor(world, db):
    staff, officer = world.users.staff_a, world.users.supervisor_a
    responsibility.assign_households(staff, [world.households.duc.id], world.organisations.a.id, officer.id)
    data = {
        "task_type_id": task_type("HEALTH_CARD").id,
        "organisation_id": world.organisations.a.id,
        "officer_id": officer.id,
    }
    tasks.create_task(staff, world.households.duc, data)
    tasks.create_task(staff, world.households.duc, data | {"officer_id": staff.id})  # to themself

    assert _kinds(db, officer) == ["household_assigned", "task_assigned"]
    assert _kinds(db, staff) == []


def test_a_status_change_notifies_whoever_follows_the_household(world, db):
    make_assignment(world.households.duc, world.organisations.a, world.users.supervisor_a)
    task = make_task(world.households.duc, world.organisations.a)

    tasks.change_status(world.users.staff, task, "in_progress", version=task.version)

    row = db.session.scalars(
        select(Notification).where(Notification.user_id == world.users.supervisor_a.id)
    ).one()
    assert (row.kind, row.params["old"], row.params["new"]) == ("status_changed", "planned", "in_progress")


def test_deactivating_an_officer_tells_the_staff_of_the_area(world, db, login_as):
    make_assignment(world.households.duc, world.organisations.a, world.users.supervisor_a)
    db.session.commit()
    client = login_as(world.users.admin)

    client.post_form(f"/admin/users/{world.users.supervisor_a.id}/active", {"active": "0"})

    # district staff and commune A staff, not commune B staff
    assert _kinds(db, world.users.staff) == _kinds(db, world.users.staff_a) == ["user_deactivated"]
    assert _kinds(db, world.users.staff_b) == []
    text = login_as(world.users.staff_a).get("/notifications").text
    assert "đã bị khoá: 1 hộ cần cán bộ phụ trách mới" in text


def test_deadline_reminders_say_each_thing_once(app, world, db):
    today = date(2020, 3, 20)
    app.config["TODAY"] = today
    officer = world.users.supervisor_a
    org = world.organisations.a
    try:
        make_task(world.households.duc, org, officer=officer, due=today + timedelta(days=2))  # soon
        make_task(world.households.duc, org, officer=officer, due=today - timedelta(days=5))  # overdue
        make_task(world.households.duc, org, officer=officer, due=today + timedelta(days=10))  # later
        make_task(world.households.duc, org, officer=officer, status="done", due=today - timedelta(days=5))
        make_task(world.households.duc, org, due=today)  # nobody named

        assert notifications.deadline_reminders() == 2
        assert notifications.deadline_reminders() == 0  # the next day's run says nothing new
    finally:
        app.config["TODAY"] = None
    assert sorted(_kinds(db, officer)) == ["task_due_soon", "task_overdue"]


def test_the_bell_counts_unread_and_refreshes_itself(world, db, login_as):
    notifications.notify(
        [world.users.staff.id],
        "task_overdue",
        {"title": "Cấp thẻ BHYT", "due": "2020-03-01"},
        link="/tasks/mine",
    )
    db.session.commit()
    client = login_as(world.users.staff)

    page = parse(client.get("/households"))
    bell = page.by_id("bell")
    assert bell.attrs["hx-trigger"] == "every 60s" and "1" in bell.text
    badge = client.htmx_get("/notifications/badge")
    assert not is_full_page(badge) and parse(badge).roots[0].id == "bell"


def test_the_centre_lists_in_vietnamese_and_opening_marks_read(world, db, login_as):
    notifications.notify(
        [world.users.staff.id],
        "task_overdue",
        {"title": "Cấp thẻ BHYT", "due": "2020-03-01"},
        link="/tasks/mine",
    )
    db.session.commit()
    client = login_as(world.users.staff)

    listing = client.get("/notifications")
    assert "Quá hạn: Cấp thẻ BHYT, hạn 01/03/2020." in listing.text
    row = db.session.scalars(select(Notification)).one()
    opened = client.get(f"/notifications/{row.id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/tasks/mine")
    db.session.refresh(row)
    assert row.read_at is not None


def test_someone_elses_notification_is_404(world, db, login_as):
    notifications.notify([world.users.staff.id], "task_overdue", {"title": "x", "due": "2020-03-01"})
    db.session.commit()
    row = db.session.scalars(select(Notification)).one()
    assert login_as(world.users.staff_a).get(f"/notifications/{row.id}").status_code == 404


def test_mark_all_as_read(world, db, login_as):
    for _ in range(3):
        notifications.notify([world.users.staff.id], "task_overdue", {"title": "x", "due": "2020-03-01"})
    db.session.commit()
    client = login_as(world.users.staff)

    assert client.post_form("/notifications/read", {}).status_code == 302
    assert notifications.unread_count(world.users.staff) == 0
