"""The report workflow as one table (role × status × action), its rules (approver ≠ submitter,
the lock, required comments), the schedule, deadlines and reminders, and compliance figures."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.models import AuditLog, Notification
from app.models.reports import ReportStatus as R
from app.services import reports
from tests.factories import make_report, make_user, report_definition

ROLES = ("staff", "supervisor", "manager", "admin")
#: who may do what from which status, written out (the code's table is ``reports.ACTIONS``)
EXPECTED = {
    "generate": ({"scheduled", "failed", "draft", "returned"}, {"staff", "admin"}),
    "submit": ({"draft", "returned"}, {"staff"}),
    "approve": ({"submitted"}, {"manager"}),
    "return": ({"submitted"}, {"manager"}),
    "reopen": ({"approved"}, {"manager", "admin"}),
}


@pytest.fixture
def people(shared_world, shared_db):
    w = shared_world
    return {
        "staff": w.users.staff_a,
        "supervisor": w.users.supervisor_a,
        "manager": w.users.manager,
        "admin": w.users.admin,
    }


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("status", [s.value for s in R])
@pytest.mark.parametrize("role", ROLES)
def test_the_action_matrix(shared_world, people, role, status, action):
    report = make_report(shared_world.commune_a, status=status, submitted_by_id=shared_world.users.staff_a.id)
    statuses, roles = EXPECTED[action]
    assert reports.may(people[role], action, report) == (status in statuses and role in roles)


def test_a_manager_never_decides_on_a_report_they_submitted(shared_world, shared_db):
    manager = shared_world.users.manager
    report = make_report(shared_world.commune_a, status="submitted", submitted_by_id=manager.id)
    other = make_user("manager", shared_world.district)
    assert not reports.may(manager, "approve", report) and reports.may(other, "approve", report)
    with pytest.raises(reports.ReportError, match="report_own_submission"):
        reports.decide(manager, report, "approve", None, version=report.version)
    assert report.status == "submitted"


def test_only_the_receiving_units_managers_decide(shared_world, shared_db):
    report = make_report(
        shared_world.commune_a, status="submitted", submitted_by_id=shared_world.users.staff_a.id
    )
    commune_manager = make_user("manager", shared_world.commune_b)
    assert report.receiving_unit_id == shared_world.district.id
    assert not reports.may(commune_manager, "approve", report)


def test_staff_of_another_commune_cannot_submit(shared_world, shared_db):
    report = make_report(shared_world.commune_a)
    assert not reports.may(shared_world.users.staff_b, "submit", report)
    assert reports.may(shared_world.users.staff, "submit", report)  # the district's staff may


def test_submit_then_return_then_resubmit_then_approve(shared_world, shared_db):
    staff, manager = shared_world.users.staff_a, shared_world.users.manager
    report = make_report(shared_world.commune_a)
    reports.submit(staff, report, "  Đã rà soát đủ.  ", version=1)
    assert (report.status, report.commentary, report.submitted_by_id) == (
        "submitted",
        "Đã rà soát đủ.",
        staff.id,
    )
    first = report.first_submitted_at
    assert report.versions[-1].submitted_at == first

    with pytest.raises(reports.ReportError, match="report_comment_required"):
        reports.decide(manager, report, "return", "   ", version=1)
    reports.decide(manager, report, "return", "Thiếu số liệu xã B.", version=1)
    assert (report.status, report.decision_comment) == ("returned", "Thiếu số liệu xã B.")
    assert report.versions[-1].decision == "returned"

    with pytest.raises(reports.ReportError, match="report_commentary_required"):
        reports.submit(staff, report, "", version=1)
    reports.submit(staff, report, "Đã bổ sung số liệu.", version=1)
    assert report.first_submitted_at == first  # on time is judged by the first submission
    reports.decide(manager, report, "approve", None, version=1)
    assert report.status == "approved" and report.decided_by_id == manager.id

    actions = list(
        shared_db.session.scalars(
            select(AuditLog.action).where(
                AuditLog.object_type == "report_instances", AuditLog.object_id == report.id
            )
        )
    )
    assert sorted(actions) == ["approve", "return", "submit", "submit"]
    told = {
        (n.user_id, n.kind)
        for n in shared_db.session.scalars(select(Notification).where(Notification.kind.like("report_%")))
    }
    assert (manager.id, "report_submitted") in told and (staff.id, "report_returned") in told
    assert (staff.id, "report_approved") in told


def test_an_approved_report_is_locked_until_reopened_with_a_reason(shared_world, shared_db):
    staff, manager = shared_world.users.staff_a, shared_world.users.manager
    report = make_report(shared_world.commune_a, status="approved", submitted_by_id=staff.id)
    for action in ("generate", "submit"):
        assert not reports.may(staff, action, report)
    with pytest.raises(reports.ReportError, match="report_action_not_allowed"):
        reports.submit(staff, report, "x", version=1)
    with pytest.raises(reports.ReportError, match="reason_required"):
        reports.reopen(manager, report, " ", version=1)
    reports.reopen(manager, report, "Sai số liệu hộ cận nghèo.", version=1)
    assert report.status == "draft" and reports.may(staff, "submit", report)
    row = shared_db.session.scalars(
        select(AuditLog).where(AuditLog.action == "reopen", AuditLog.object_id == report.id)
    ).one()
    assert row.changes["status"] == ["approved", "draft"]
    assert shared_db.session.scalar(
        select(func.count()).where(Notification.kind == "report_reopened", Notification.user_id == staff.id)
    )


def test_an_action_from_an_old_version_is_refused(shared_world, shared_db):
    report = make_report(shared_world.commune_a, versions=2)
    with pytest.raises(reports.StaleReport):
        reports.submit(shared_world.users.staff_a, report, "x", version=1)
    assert report.status == "draft"


def test_the_database_keeps_one_instance_per_definition_period_and_unit(shared_world, shared_db):
    make_report(shared_world.commune_a, period="2020-04", versions=0, status="scheduled")
    with pytest.raises(IntegrityError):
        make_report(shared_world.commune_a, period="2020-04", versions=0, status="scheduled")
    shared_db.session.rollback()


def test_reminders_three_days_and_one_day_before_then_overdue_once(shared_world, shared_db):
    report = make_report(shared_world.commune_a, status="draft", deadline=date(2020, 3, 18))
    staff_a, manager = shared_world.users.staff_a, shared_world.users.manager

    def kinds(user):
        return sorted(
            shared_db.session.scalars(
                select(Notification.kind).where(
                    Notification.user_id == user.id, Notification.kind.like("report_%")
                )
            )
        )

    assert reports.remind(date(2020, 3, 15)) == 1 and reports.remind(date(2020, 3, 15)) == 0
    assert reports.remind(date(2020, 3, 17)) == 1
    assert kinds(staff_a) == ["report_due_soon", "report_due_soon"]
    assert reports.mark_overdue(date(2020, 3, 18)) == 0  # the deadline day itself is still on time
    assert reports.mark_overdue(date(2020, 3, 19)) == 1 and report.overdue_on == date(2020, 3, 19)
    assert reports.mark_overdue(date(2020, 3, 20)) == 0
    assert "report_overdue" in kinds(staff_a) and "report_overdue" in kinds(manager)


def _submitted(unit, period, deadline, submitted_local):
    """A report first submitted at ``submitted_local`` (Vietnam time); stored in UTC."""
    return make_report(
        unit,
        period=period,
        status="submitted",
        deadline=deadline,
        first_submitted_at=submitted_local - timedelta(hours=7),
        submitted_at=submitted_local - timedelta(hours=7),
    )


def test_compliance_counts_on_time_late_missing_and_pending(shared_world, shared_db):
    today = date(2020, 3, 20)
    a, b = shared_world.commune_a, shared_world.commune_b
    _submitted(a, "2020-01", date(2020, 1, 17), datetime(2020, 1, 17, 23, 30))  # on the last evening
    _submitted(b, "2020-01", date(2020, 1, 17), datetime(2020, 1, 18, 0, 30))  # half an hour late
    make_report(a, period="2020-02", status="draft", deadline=date(2020, 2, 19))  # missing
    make_report(
        b,
        period="2020-02",
        status="approved",
        deadline=date(2020, 2, 19),
        first_submitted_at=datetime(2020, 2, 18),
    )
    make_report(a, period="2020-03", status="draft", deadline=date(2020, 3, 23))  # not due yet
    table = reports.compliance(shared_world.users.manager, report_definition(), 2020, today)
    states = {
        (u.code, p): s.value for (uid, p), s in table.states.items() for u in table.units if u.id == uid
    }
    assert states == {
        ("99901", "2020-01"): "on_time",
        ("99902", "2020-01"): "late",
        ("99901", "2020-02"): "missing",
        ("99902", "2020-02"): "approved",
        ("99901", "2020-03"): "pending",
    }
    assert (table.expected, table.submitted, table.timely) == (4, 3, 2)
    assert (str(table.reporting_rate), str(table.on_time_rate)) == ("75.0", "50.0")
    assert [u.code for u in table.late_units()] == ["99901", "99902"]
    # a commune user sees their own commune only
    mine = reports.compliance(shared_world.users.staff_b, report_definition(), 2020, today)
    assert {u.code for u in mine.units} == {"99902"}


def test_a_unit_scope_reads_like_a_user_of_that_unit(shared_world, shared_db):
    from app.services import scope

    assert scope.scope_unit_ids(scope.UnitScope(shared_world.commune_a.id)) == scope.scope_unit_ids(
        shared_world.users.staff_a
    )


def test_the_calendar_is_applied_with_the_fixed_cut_off_of_the_preliminary_review(shared_world, shared_db):
    preliminary = report_definition("review_preliminary")
    period = reports.definition_period(preliminary, "2020")
    assert (period.start, period.cut_off) == (date(2019, 12, 15), date(2020, 11, 10))
    # "before 15 November": 14 November 2020 is a Saturday, so the deadline rolls to Monday
    assert reports.deadline_of(preliminary.deadlines[0], period, ()) == date(2020, 11, 16)
    official = report_definition("review_official")
    assert reports.deadline_of(
        official.deadlines[0], reports.definition_period(official, "2020"), ()
    ) == date(2020, 12, 21)


@pytest.mark.parametrize(
    ("key", "vi", "en"),
    [
        ("2020-03", "Tháng 3/2020", "Month 3/2020"),
        ("2020-Q1", "Quý I/2020", "Quarter I/2020"),
        ("2020-Q4", "Quý IV/2020", "Quarter IV/2020"),
        ("2020-H1", "6 tháng đầu năm 2020", "First half of 2020"),
        ("2020-H2", "6 tháng cuối năm 2020", "Second half of 2020"),
        ("2020", "Năm 2020", "Year 2020"),
        ("khác", "khác", "khác"),
    ],
)
def test_periods_read_as_people_write_them(shared_app, key, vi, en):
    from flask_babel import force_locale

    from app.labels import period_label

    with shared_app.test_request_context(), force_locale("vi"):
        assert period_label(key) == vi
    with shared_app.test_request_context(), force_locale("en"):
        assert period_label(key) == en


def test_a_report_notification_names_its_period_and_deadline_as_people_write_them(shared_app):
    from flask_babel import force_locale

    from app.labels import notification_text

    note = Notification(
        kind="report_overdue",
        params={
            "report": "Báo cáo tháng",
            "period": "2020-03",
            "unit": "Xã Cẩm Giàng",
            "deadline": "2020-03-18",
        },
    )
    with shared_app.test_request_context(), force_locale("vi"):
        assert notification_text(note) == "Quá hạn từ 18/03/2020: Báo cáo tháng, tháng 3/2020, Xã Cẩm Giàng."
