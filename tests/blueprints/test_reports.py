"""The report pages: lists (due, inbox, all), one report's panel and its workflow over HTTP
(htmx swaps the panel; stale versions answer 409; refusals 403; missing comments 422), the files
within scope only, and the compliance view."""

from datetime import date, datetime
from pathlib import Path

import pytest
from rq import Queue
from sqlalchemy import select

from app.models import AuditLog, ReportInstance
from app.services import report_generation
from app.tasks.queues import redis_client
from tests.blueprints.helpers import parse
from tests.factories import make_report, make_user


def with_class(doc, *classes: str) -> list:
    return [e for e in doc.elements if set(classes) <= set((e.attrs.get("class") or "").split())]


@pytest.fixture(autouse=True)
def fixed_day(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "storage"))
    monkeypatch.setitem(app.config, "TODAY", date(2020, 3, 20))
    monkeypatch.setitem(app.config, "REPORTS_QUEUE", "test-reports-pages")
    yield
    Queue("test-reports-pages", connection=redis_client()).empty()


def test_staff_sees_what_their_commune_owes(world, login_as, db):
    mine = make_report(world.commune_a, status="draft", deadline=date(2020, 3, 18))
    make_report(world.commune_b, status="draft", deadline=date(2020, 3, 18))
    make_report(world.commune_a, period="2020-02", status="approved", deadline=date(2020, 2, 19))
    make_report(world.commune_a, period="2020-06", status="scheduled", versions=0, deadline=date(2020, 6, 17))
    db.session.commit()
    client = login_as(world.users.staff_a)

    response = client.get("/reports")  # staff land on "due"

    links = [
        a.attrs["href"]
        for a in parse(response).find_all("a")
        if (a.attrs.get("href") or "").startswith("/reports/")
    ]
    assert [x for x in links if x.split("/")[-1].isdigit()] == [f"/reports/{mine.id}"]
    assert "Chưa nộp" in response.get_data(as_text=True)  # missing: the deadline of 18 March has passed


def test_the_inbox_holds_what_waits_for_the_managers_decision(world, login_as, db):
    waiting = make_report(world.commune_a, status="submitted", submitted_by_id=world.users.staff_a.id)
    own = make_report(world.commune_b, status="submitted", submitted_by_id=world.users.manager.id)
    db.session.commit()
    page = login_as(world.users.manager).get("/reports").get_data(as_text=True)  # managers land on the inbox
    assert f"/reports/{waiting.id}" in page and f"/reports/{own.id}" not in page


def test_a_report_of_another_commune_is_not_found(world, login_as, db):
    other = make_report(world.commune_b)
    db.session.commit()
    client = login_as(world.users.staff_a)
    assert client.get(f"/reports/{other.id}").status_code == 404
    assert client.get(f"/reports/{other.id}/panel").status_code == 404
    assert client.get(f"/reports/{other.id}/versions/1/pdf").status_code == 404


def test_a_version_file_downloads_within_scope(app, world, login_as, db):
    report = make_report(world.commune_a)
    db.session.commit()
    path = report_generation.storage_dir() / report.versions[0].pdf_name
    path.write_bytes(b"%PDF-1.7 test")
    try:
        response = login_as(world.users.staff_a).get(f"/reports/{report.id}/versions/1/pdf")
        assert response.status_code == 200 and response.data == b"%PDF-1.7 test"
        assert response.mimetype == "application/pdf" and "no-store" in response.headers["Cache-Control"]
        response.close()
        assert login_as(world.users.staff_a).get(f"/reports/{report.id}/versions/1/exe").status_code == 404
    finally:
        Path(path).unlink()


def test_generate_now_swaps_in_a_polling_panel_and_enqueues_one_job(world, login_as, db):
    report = make_report(world.commune_a, status="scheduled", versions=0)
    db.session.commit()
    client = login_as(world.users.staff_a)

    response = client.post_form(f"/reports/{report.id}/generate", {"version": "0"}, htmx=True)

    assert response.status_code == 200
    panel = parse(response).by_id("report-panel")
    assert panel.attrs["hx-trigger"] == "every 1s" and panel.find_all("progress")
    assert Queue("test-reports-pages", connection=redis_client()).job_ids == [f"report-{report.id}-v1"]
    again = client.post_form(f"/reports/{report.id}/generate", {"version": "0"}, htmx=True)
    assert again.status_code == 409  # already generating: nothing more is enqueued
    assert Queue("test-reports-pages", connection=redis_client()).count == 1
    db.session.expire_all()
    assert db.session.get(ReportInstance, report.id).status == "generating"


def test_the_panel_stops_polling_once_generated(world, login_as, db):
    report = make_report(world.commune_a, status="draft")
    db.session.commit()
    panel = parse(login_as(world.users.staff_a).get(f"/reports/{report.id}/panel")).by_id("report-panel")
    assert "hx-trigger" not in panel.attrs and not panel.find_all("progress")


def test_submit_return_resubmit_approve_over_http(world, login_as, db):
    report = make_report(world.commune_a)
    db.session.commit()
    staff, manager = login_as(world.users.staff_a), login_as(world.users.manager)
    url = f"/reports/{report.id}"

    assert (
        staff.post_form(f"{url}/submit", {"version": "1", "commentary": "Đủ số liệu."}, htmx=True).status_code
        == 200
    )
    missing = manager.post_form(f"{url}/decide/return", {"version": "1", "comment": ""}, htmx=True)
    assert missing.status_code == 422 and "trả lại báo cáo phải có ý kiến" in missing.get_data(as_text=True)
    assert (
        manager.post_form(
            f"{url}/decide/return", {"version": "1", "comment": "Thiếu xã B."}, htmx=True
        ).status_code
        == 200
    )
    assert (
        staff.post_form(f"{url}/submit", {"version": "1", "commentary": "Đã bổ sung."}, htmx=True).status_code
        == 200
    )
    assert staff.post_form(f"{url}/decide/approve", {"version": "1"}, htmx=True).status_code == 403
    response = manager.post_form(f"{url}/decide/approve", {"version": "1"}, htmx=True)
    assert response.status_code == 200 and with_class(parse(response), "badge-report-approved")

    db.session.expire_all()
    report = db.session.get(ReportInstance, report.id)
    assert (report.status, report.decided_by_id, report.commentary) == (
        "approved",
        world.users.manager.id,
        "Đã bổ sung.",
    )
    actions = db.session.scalars(
        select(AuditLog.action).where(AuditLog.object_type == "report_instances").order_by(AuditLog.id)
    ).all()
    assert actions == ["submit", "return", "submit", "approve"]


def test_an_old_version_answers_409_and_shows_the_current_state(world, login_as, db):
    report = make_report(world.commune_a, versions=2)
    db.session.commit()
    response = login_as(world.users.staff_a).post_form(
        f"/reports/{report.id}/submit", {"version": "1"}, htmx=True
    )
    assert response.status_code == 409
    assert "Người khác vừa thay đổi báo cáo này" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ReportInstance, report.id).status == "draft"


def test_a_full_page_post_redirects_back_to_the_report(world, login_as, db):
    report = make_report(world.commune_a)
    db.session.commit()
    response = login_as(world.users.staff_a).post_form(f"/reports/{report.id}/submit", {"version": "1"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/reports/{report.id}")


def test_reopen_needs_a_reason(world, login_as, db):
    report = make_report(world.commune_a, status="approved", submitted_by_id=world.users.staff_a.id)
    db.session.commit()
    admin = login_as(world.users.admin)
    assert (
        admin.post_form(f"/reports/{report.id}/reopen", {"version": "1", "reason": ""}, htmx=True).status_code
        == 422
    )
    assert (
        admin.post_form(
            f"/reports/{report.id}/reopen", {"version": "1", "reason": "Sai số liệu."}, htmx=True
        ).status_code
        == 200
    )
    db.session.expire_all()
    assert db.session.get(ReportInstance, report.id).status == "draft"


def test_the_compliance_view_says_who_is_late(world, login_as, db):
    make_report(
        world.commune_a,
        period="2020-02",
        status="submitted",
        deadline=date(2020, 2, 19),
        first_submitted_at=datetime(2020, 2, 18, 3),
    )
    make_report(world.commune_b, period="2020-02", status="draft", deadline=date(2020, 2, 19))
    db.session.commit()
    response = login_as(world.users.manager).get("/reports/compliance?year=2020")
    page = parse(response)
    [behind] = with_class(page, "stat", "poor")
    assert "Xã Quang Thuận Thử" in behind.text and "Xã Cẩm Giàng Thử" not in behind.text
    # reporting rate 1 of 2 expected, on time 1 of 2, one unit behind
    assert [e.text for e in with_class(page, "value")] == ["50%", "50%", "1"]
    [table] = with_class(page, "compliance")
    cells = [td.text for td in table.find_all("td")]
    assert any("Đúng hạn" in c for c in cells) and any("Chưa nộp" in c for c in cells)


def test_a_commune_manager_cannot_decide_on_the_districts_incoming_reports(world, login_as, db):
    commune_manager = make_user("manager", world.commune_b, "manager.b")
    report = make_report(world.commune_b, status="submitted", submitted_by_id=world.users.staff_b.id)
    db.session.commit()
    response = login_as(commune_manager).post_form(
        f"/reports/{report.id}/decide/approve", {"version": "1"}, htmx=True
    )
    assert response.status_code == 403


def test_the_demo_users_go_round_the_whole_cycle(demo_app, demo_client):
    """staff.camgiang submits Cẩm Giàng's March report, manager returns it, staff.camgiang
    resubmits, manager approves (this writes to the shared demo database: that one report)."""
    with demo_app.app_context():
        report = (
            demo_app.extensions["sqlalchemy"]
            .session.scalars(
                select(ReportInstance).where(
                    ReportInstance.period == "2020-03", ReportInstance.unit.has(code="02008")
                )
            )
            .one()
        )
        report_id, version = report.id, str(report.version)
        assert report.status == "draft"
    staff, manager = demo_client("staff.camgiang"), demo_client("manager")
    url = f"/reports/{report_id}"
    steps = [
        (staff, "submit", {"commentary": "Xã đã cập nhật đủ tiến độ tháng 3."}, "badge-report-submitted"),
        (
            manager,
            "decide/return",
            {"comment": "Đề nghị giải trình 5 nhiệm vụ quá hạn."},
            "badge-report-returned",
        ),
        (staff, "submit", {"commentary": "Đã bổ sung giải trình."}, "badge-report-submitted"),
        (manager, "decide/approve", {}, "badge-report-approved"),
    ]
    for client, action, form, badge in steps:
        response = client.post_form(f"{url}/{action}", {"version": version, **form}, htmx=True)
        assert response.status_code == 200, (action, response.get_data(as_text=True)[:500])
        assert with_class(parse(response), badge), action
    assert "/reports/" + str(report_id) not in manager.get("/reports?view=inbox").get_data(as_text=True)


def test_the_period_filter_offers_the_periods_in_scope_and_filters_by_one(world, login_as, db):
    march = make_report(world.commune_a, period="2020-03", status="draft", deadline=date(2020, 3, 18))
    make_report(world.commune_a, period="2020-02", status="approved", deadline=date(2020, 2, 19))
    make_report(world.commune_b, period="2020-01", status="approved", deadline=date(2020, 1, 17))
    db.session.commit()
    client = login_as(world.users.staff_a)
    page = parse(client.get("/reports?view=all"))
    [select_] = [e for e in page.find_all("select") if e.attrs.get("name") == "period"]
    options = [(o.attrs.get("value"), o.text) for o in select_.find_all("option")]
    assert options == [("", "Tất cả các kỳ"), ("2020-03", "Tháng 3/2020"), ("2020-02", "Tháng 2/2020")]
    response = client.get(
        "/reports?view=all&period=2020-03", headers={"HX-Request": "true", "HX-Target": "report-results"}
    )
    links = [
        a.attrs["href"]
        for a in parse(response).find_all("a")
        if (a.attrs.get("href") or "").startswith("/reports/")
    ]
    assert [x for x in links if x.split("/")[-1].isdigit()] == [f"/reports/{march.id}"]
