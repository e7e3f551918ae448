"""The support-task workflow: the transition matrix, responsibility, outcomes and reasons,
stale versions, notes, creation in scope, and the exit path."""

from datetime import date

import pytest
from sqlalchemy import select

from app.models import AuditLog
from app.models.tasks import TaskStatus
from app.services import tasks
from app.services.tasks import TRANSITIONS, StaleTask, TaskError
from tests.factories import make_organisation, make_task, make_user, task_type

ROLES = ("staff", "supervisor", "manager", "admin")
STATUSES = [s.value for s in TaskStatus]
OUTCOME = {"outcome_card_number": "GD4069957185912", "outcome_text": "Đã nhận thẻ"}


def _user(world, role):
    return {
        "staff": world.users.staff,
        "supervisor": world.users.supervisor_a,
        "manager": world.users.manager,
        "admin": world.users.admin,
    }[role]


def _task(world, status="planned", **kw):
    return make_task(world.households.duc, world.organisations.a, status=status, **kw)


def _move(user, task, to, **kw):
    kw.setdefault("outcome", OUTCOME)
    kw.setdefault("reason", "Chờ kinh phí")
    return tasks.change_status(user, task, to, version=task.version, **kw)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("source", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_the_transition_matrix(world, db, role, source, target):
    """Every (role, from, to): allowed exactly when TRANSITIONS says so (the supervisor's
    organisation is the task's, so only the table decides)."""
    task = _task(world, source)
    user = _user(world, role)
    allowed = role in TRANSITIONS.get((source, target), ())

    if allowed:
        _move(user, task, target)
        assert task.status == target
    else:
        with pytest.raises(TaskError) as error:
            _move(user, task, target)
        expected = "task_not_yours" if role == "manager" else "transition_not_allowed"
        assert (error.value.field, str(error.value)) == ("status", expected)
        assert task.status == source


def test_the_table_only_names_real_statuses_and_roles():
    for (source, target), roles in TRANSITIONS.items():
        assert {source, target} <= set(STATUSES) and source != target
        assert roles <= {"staff", "supervisor", "admin"}


def test_a_supervisor_changes_only_tasks_of_their_own_or_their_organisation(world, db):
    supervisor = world.users.supervisor_a
    other_org = make_organisation(world.commune_a, "Hội Nông dân Xã Cẩm Giàng Thử")
    theirs = make_task(world.households.duc, other_org)
    named = make_task(world.households.duc, other_org, officer=supervisor)

    with pytest.raises(TaskError, match="task_not_yours"):
        _move(supervisor, theirs, "in_progress")
    assert tasks.next_statuses(supervisor, theirs) == []
    _move(supervisor, named, "in_progress")
    assert named.status == "in_progress"
    assert tasks.next_statuses(supervisor, named) == ["planned", "done", "blocked"]


@pytest.mark.parametrize(
    "kind,outcome,field,code",
    [
        ("HEALTH_CARD", {}, "outcome_card_number", "outcome_required"),
        ("HEALTH_CARD", {"outcome_card_number": "   "}, "outcome_card_number", "outcome_required"),
        ("JOB", {"outcome_text": "Có việc"}, "outcome_employer", "outcome_required"),
        ("CREDIT", {"outcome_fund_source": "NHCSXH"}, "outcome_amount", "outcome_required"),
        ("CREDIT", {"outcome_amount": 30_000_000}, "outcome_fund_source", "outcome_required"),
        (
            "CREDIT",
            {"outcome_amount": 0, "outcome_fund_source": "NHCSXH"},
            "outcome_amount",
            "amount_positive",
        ),
        ("TELECOM", {"outcome_fund_source": "x"}, "outcome_text", "outcome_required"),
    ],
)
def test_done_requires_the_outcome_of_its_type(world, db, kind, outcome, field, code):
    task = _task(world, "in_progress", type_code=kind)

    with pytest.raises(TaskError) as error:
        _move(world.users.staff, task, "done", outcome=outcome)

    assert (error.value.field, str(error.value)) == (field, code)
    assert task.status == "in_progress" and task.done_on is None


def test_done_records_the_outcome_and_the_day(world, db):
    task = _task(world, "in_progress", type_code="CREDIT")
    outcome = {"outcome_amount": 30_000_000, "outcome_fund_source": " NHCSXH ", "outcome_text": ""}

    _move(world.users.supervisor_a, task, "done", outcome=outcome, today=date(2020, 5, 4))

    assert (task.outcome_amount, task.outcome_fund_source, task.outcome_text) == (30_000_000, "NHCSXH", None)
    assert task.done_on == date(2020, 5, 4)
    _move(world.users.staff, task, "in_progress")  # reopened
    assert task.done_on is None


@pytest.mark.parametrize("target", ["cancelled", "blocked"])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_cancelling_or_blocking_requires_a_reason(world, db, target, reason):
    task = _task(world, "planned")

    with pytest.raises(TaskError) as error:
        _move(world.users.staff, task, target, reason=reason)

    assert (error.value.field, str(error.value)) == ("reason", "reason_required")


def test_a_change_from_an_old_version_is_refused(world, db):
    task = _task(world, "planned")
    seen = task.version
    _move(world.users.staff, task, "in_progress")

    with pytest.raises(StaleTask):
        tasks.change_status(world.users.supervisor_a, task, "blocked", version=seen, reason="x")
    assert task.status == "in_progress"


def test_a_status_change_is_audited_with_old_and_new_values(world, db):
    task = _task(world, "planned")
    _move(world.users.staff, task, "cancelled", reason="Hộ đã chuyển đi")

    row = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "support_tasks")).one()
    assert (row.action, row.actor_id, row.object_id) == ("status", world.users.staff.id, task.id)
    assert row.changes == {"status": ["planned", "cancelled"], "status_reason": [None, "Hộ đã chuyển đi"]}


def test_notes_are_appended_by_those_responsible(world, db):
    task = _task(world, "planned")
    stranger_org = make_organisation(world.commune_a, "Đoàn Thanh niên")
    stranger = make_user("supervisor", world.commune_a, organisation_id=stranger_org.id)

    note = tasks.add_note(world.users.supervisor_a, task, "  Đã đến nhà, hẹn tuần sau.  ")
    with pytest.raises(TaskError, match="task_not_yours"):
        tasks.add_note(stranger, task, "Ghi chú")
    with pytest.raises(TaskError, match="note_required"):
        tasks.add_note(world.users.staff, task, "   ")
    with pytest.raises(TaskError, match="note_too_long"):
        tasks.add_note(world.users.staff, task, "x" * 4001)

    assert note.body == "Đã đến nhà, hẹn tuần sau." and note.author_id == world.users.supervisor_a.id
    assert [n.id for n in task.notes] == [note.id]


def test_create_task_defaults_title_and_due_date_from_the_type(world, db):
    kind = task_type("HEALTH_CARD")
    data = {
        "task_type_id": kind.id,
        "organisation_id": world.organisations.a.id,
        "start_date": date(2020, 3, 1),
    }

    task = tasks.create_task(world.users.staff, world.households.duc, data)

    assert (task.title, task.status, task.due_date) == (kind.name_vi, "planned", date(2020, 3, 31))
    assert task.version == 1
    audit = db.session.scalars(select(AuditLog).where(AuditLog.object_type == "support_tasks")).one()
    assert audit.action == "create" and audit.changes["task_type_id"] == [None, kind.id]


@pytest.mark.parametrize(
    "change,field,code",
    [
        ({"task_type_id": 10**9}, "task_type_id", "task_type_unknown"),
        ({"organisation_id": None}, "organisation_id", "organisation_out_of_scope"),
        ({"officer_id": "staff_b"}, "officer_id", "officer_out_of_scope"),
        ({"member_id": 10**9}, "member_id", "member_not_in_household"),
        ({"start_date": date(2020, 3, 1), "due_date": date(2020, 2, 1)}, "due_date", "dates_reversed"),
    ],
)
def test_create_task_refuses(world, db, change, field, code):
    data = {"task_type_id": task_type("HEALTH_CARD").id, "organisation_id": world.organisations.a.id}
    data.update(change)
    if data.get("officer_id") == "staff_b":
        data["officer_id"] = world.users.staff_b.id  # commune B: outside staff_a's scope

    with pytest.raises(TaskError) as error:
        tasks.create_task(world.users.staff_a, world.households.duc, data)

    assert (error.value.field, str(error.value)) == (field, code)


def test_create_task_refuses_an_organisation_outside_scope_and_non_office_roles(world, db):
    org_b = make_organisation(world.commune_b, "UBND Xã B")
    data = {"task_type_id": task_type("HEALTH_CARD").id, "organisation_id": org_b.id}

    with pytest.raises(TaskError, match="organisation_out_of_scope"):
        tasks.create_task(world.users.staff_a, world.households.duc, data)
    for user in (world.users.supervisor_a, world.users.manager):
        with pytest.raises(TaskError, match="task_not_yours"):
            tasks.create_task(
                user, world.households.duc, data | {"organisation_id": world.organisations.a.id}
            )


def test_the_exit_path_pairs_each_deprivation_and_cause_with_its_task_types_and_tasks(world, db):
    household = world.households.duc
    household.causes = [c for c in task_type("CREDIT").causes if c.code == "NO_CAPITAL"]
    done = make_task(household, world.organisations.a, "HEALTH_CARD", status="done")
    open_ = make_task(household, world.organisations.a, "CREDIT", status="in_progress")
    make_task(household, world.organisations.a, "WATER", status="cancelled")

    steps = tasks.exit_path(household, [("HEALTH_INSURANCE", "Bảo hiểm y tế"), ("DOMESTIC_WATER", "Nước")])

    by_code = {s.code: s for s in steps}
    assert [(s.kind, s.code) for s in steps] == [
        ("indicator", "HEALTH_INSURANCE"),
        ("indicator", "DOMESTIC_WATER"),
        ("cause", "NO_CAPITAL"),
    ]
    assert [t.code for t in by_code["HEALTH_INSURANCE"].task_types] == ["HEALTH_CARD"]
    assert by_code["HEALTH_INSURANCE"].done_tasks == [done] and by_code["HEALTH_INSURANCE"].addressed
    assert not by_code["DOMESTIC_WATER"].addressed  # its only task was cancelled
    assert "CREDIT" in [t.code for t in by_code["NO_CAPITAL"].task_types]
    assert by_code["NO_CAPITAL"].open_tasks == [open_]
