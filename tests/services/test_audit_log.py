"""Reading the audit log: the admin search (filters, order, pages, scope) and a record's history."""

from datetime import date, datetime, timedelta

import pytest
from werkzeug.exceptions import NotFound

from app.extensions import db as _db
from app.models import TaskEvidence
from app.services import audit, audit_log, responsibility, scope, tasks
from tests.factories import make_task, make_unit, make_user

T0 = datetime(2020, 3, 20, 8, 0)


def _row(action: str = "update", *, at: datetime = T0, **kw):
    """An audit row written by ``audit.record``, dated ``at`` (naive UTC)."""
    row = audit.record(action, **kw)
    row.at = at
    return row


def _search(admin, **kw):
    _db.session.flush()
    return audit_log.search(admin, **kw)


# -- search: order, pages, filters -----------------------------------------------------------------


def test_search_is_newest_first_and_paged(world, db):
    staff = world.users.staff_a
    rows = [_row(actor=staff, ip="10.0.0.1", at=T0 + timedelta(minutes=i)) for i in range(5)]
    twin = _row(actor=staff, at=T0 + timedelta(minutes=4))  # same time: the later id comes first

    first = _search(world.users.admin, per_page=4)
    assert first.total == 6 and first.pages == 2 and first.page == 1
    assert [r.id for r in first.items] == [twin.id, rows[4].id, rows[3].id, rows[2].id]

    second = _search(world.users.admin, per_page=4, page=2)
    assert [r.id for r in second.items] == [rows[1].id, rows[0].id]
    assert _search(world.users.admin, per_page=4, page=99).page == 2  # clamped
    assert _search(world.users.admin, per_page=4, page=0).page == 1


def test_search_on_an_empty_log(world, db):
    page = _search(world.users.admin)
    assert page.items == [] and page.total == 0 and page.page == 1


def test_search_filters(world, db):
    staff, admin = world.users.staff_a, world.users.admin
    household = world.households.duc
    edit = _row("update", actor=staff, ip="10.1.2.3", obj=household, changes={"phone": ["1", "2"]})
    login = _row("login", actor=staff, ip="192.168.7.9", obj=staff, at=T0 + timedelta(hours=1))
    made = _row("create", actor=admin, ip="10.1.9.9", obj=world.users.staff_b, at=T0 + timedelta(days=1))

    def ids(**kw):
        return {r.id for r in _search(admin, **kw).items}

    assert ids() == {edit.id, login.id, made.id}
    assert ids(action="login") == {login.id}
    assert ids(object_type="households") == {edit.id}
    assert ids(object_type="users") == {login.id, made.id}
    assert ids(actor="STAFF.A ") == {edit.id, login.id}
    assert ids(actor="staff") == set()  # a username matches whole, not in part
    assert ids(q="192.168") == {login.id}
    assert ids(q="Admin.T") == {made.id}
    assert ids(q="%") == set()  # LIKE wildcards are plain text
    assert ids(action="update", actor="admin.t") == set()


def test_search_date_range_takes_whole_utc_days(world, db):
    staff = world.users.staff_a
    before = _row(actor=staff, at=datetime(2020, 3, 19, 23, 59, 59))
    first = _row(actor=staff, at=datetime(2020, 3, 20, 0, 0))
    last = _row(actor=staff, at=datetime(2020, 3, 21, 23, 59, 59))
    after = _row(actor=staff, at=datetime(2020, 3, 22, 0, 0))

    def ids(**kw):
        return {r.id for r in _search(world.users.admin, **kw).items}

    assert ids(since=date(2020, 3, 20), until=date(2020, 3, 21)) == {first.id, last.id}
    assert ids(since=date(2020, 3, 21)) == {last.id, after.id}
    assert ids(until=date(2020, 3, 19)) == {before.id}


# -- search: scope ---------------------------------------------------------------------------------


def test_search_shows_the_rows_of_actors_in_scope_only(world, db):
    outside_district = make_unit("998", "Huyện Khác", "district", world.province)
    stranger = make_user("staff", outside_district, "staff.khac")
    province_admin = make_user("admin", world.province, "admin.tinh")
    commune_admin = make_user("admin", world.commune_a, "admin.xa")
    mine = _row(actor=world.users.staff_a, obj=world.households.duc)
    theirs = _row(actor=world.users.staff_b, obj=world.households.pao)
    district = _row(actor=world.users.manager)
    # A stranger's row about a household of our district is still the stranger's: not shown.
    strange = _row(actor=stranger, obj=world.households.duc)
    top = _row(actor=province_admin)

    def ids(admin):
        return {r.id for r in _search(admin).items}

    assert ids(commune_admin) == {mine.id}
    assert ids(world.users.admin) == {mine.id, theirs.id, district.id}
    assert ids(province_admin) == {mine.id, theirs.id, district.id, strange.id, top.id}


def test_rows_without_an_actor_are_for_an_admin_of_the_top_unit_only(world, db):
    province_admin = make_user("admin", world.province, "admin.tinh")
    failed = _row("login_failed", actor_name="ai.do", ip="203.0.113.5")
    locked = _row("login_locked", actor_name="ai.do", ip="203.0.113.5")

    assert {r.id for r in _search(province_admin).items} == {failed.id, locked.id}
    assert audit_log.sees_anonymous_rows(province_admin)
    assert _search(world.users.admin).items == []  # a district admin
    assert not audit_log.sees_anonymous_rows(world.users.admin)

    # A second tree: the province is no longer the top of everything, and nobody sees them.
    make_unit("88", "Tỉnh Khác", "province")
    scope.forget_units()
    assert _search(province_admin).items == []


def test_actions_lists_each_action_once(world, db):
    for action in ("update", "login", "update", "access_denied"):
        _row(action, actor=world.users.staff_a)
    db.session.flush()
    assert audit_log.actions() == ["access_denied", "login", "update"]


# -- history ---------------------------------------------------------------------------------------


def test_household_history_holds_its_members_and_assignments(world, db):
    duc, lan = world.households.duc, world.households.lan
    staff = world.users.staff
    edit = _row(actor=staff, obj=duc, changes={"phone": [None, "0912345678"]}, at=T0)
    head = duc.members[0]
    member = _row(actor=staff, obj=head, changes={"occupation": [None, "Ruộng"]}, at=T0 + timedelta(days=1))
    responsibility.assign_households(staff, [duc.id], world.organisations.a.id, None, ip="10.0.0.2")
    db.session.flush()
    assigned = audit_log.history(staff, "households", duc.id)[0]
    _row(actor=staff, obj=lan, at=T0 + timedelta(days=3))  # another household
    _row(actor=staff, obj=lan.members[0], at=T0 + timedelta(days=3))  # another household's member
    _row(actor=staff, object_type="members", object_id=None)
    db.session.flush()

    history = audit_log.history(world.users.staff_a, "households", duc.id)

    assert assigned.action == "assign" and assigned.object_id == duc.id
    assert [r.id for r in history] == [assigned.id, member.id, edit.id]


def test_history_keeps_the_latest_200(world, db):
    duc = world.households.duc
    rows = [_row(actor=world.users.staff, obj=duc, at=T0 + timedelta(minutes=i)) for i in range(205)]
    db.session.flush()

    history = audit_log.history(world.users.staff, "households", duc.id)

    assert len(history) == audit_log.HISTORY_LIMIT == 200
    assert history[0].id == rows[-1].id and history[-1].id == rows[5].id


def _evidence(task, staff) -> TaskEvidence:
    row = TaskEvidence(
        task_id=task.id,
        uploaded_by_id=staff.id,
        created_at=T0,
        filename="bien-ban.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        stored_name=f"{task.id}-bien-ban.pdf",
    )
    _db.session.add(row)
    _db.session.flush()
    return row


def test_task_history_holds_its_notes_and_evidence(world, db):
    staff = world.users.staff
    task = make_task(world.households.duc, world.organisations.a)
    other = make_task(world.households.duc, world.organisations.a)
    created = _row("create", actor=staff, obj=task, at=T0)
    filed = _row("create", actor=staff, obj=_evidence(task, staff), at=T0 + timedelta(minutes=1))
    note = tasks.add_note(staff, task, "Đã gọi điện cho hộ.", ip="10.0.0.3")
    tasks.add_note(staff, other, "Ghi chú của việc khác.")
    _row("create", actor=staff, obj=other, at=T0)
    _row("create", actor=staff, obj=_evidence(other, staff), at=T0)
    db.session.flush()

    history = audit_log.history(world.users.supervisor_a, "support_tasks", task.id)

    assert len(history) == 3
    assert history[0].object_type == "task_notes" and history[0].object_id == note.id
    assert history[0].changes == {"task_id": [None, task.id]}
    assert [r.id for r in history[1:]] == [filed.id, created.id]


@pytest.mark.parametrize("object_type", ["households", "support_tasks"])
def test_history_outside_scope_is_404(world, db, object_type):
    task = make_task(world.households.duc, world.organisations.a)
    ident = world.households.duc.id if object_type == "households" else task.id
    _row(actor=world.users.staff_a, object_type=object_type, object_id=ident)
    db.session.flush()

    with pytest.raises(NotFound):
        audit_log.history(world.users.staff_b, object_type, ident)
    with pytest.raises(NotFound):
        audit_log.history(world.users.admin, object_type, 987654)
    assert len(audit_log.history(world.users.staff_a, object_type, ident)) == 1


def test_history_of_another_kind_of_record_is_a_bug(world, db):
    with pytest.raises(ValueError):
        audit_log.history(world.users.admin, "users", world.users.staff_a.id)
