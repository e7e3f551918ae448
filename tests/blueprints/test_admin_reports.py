"""The reporting regime, edited by admins: report definitions (elements and deadline rules, with a
preview of the calendar they give) and the public holidays; validation; audit; permissions."""

from datetime import date

import pytest
from sqlalchemy import func, select

from app.models import AuditLog, Holiday, ReportDefinition, ReportInstance
from app.services import report_definitions
from tests.blueprints.helpers import browser_form, is_full_page, location_path, location_query, parse
from tests.factories import make_report


@pytest.fixture
def admin(world, db, login_as):
    """An admin reading English (the new texts have no translation yet), the definitions seeded."""
    world.users.admin.locale = "en"
    report_definitions.seed_definitions()
    db.session.commit()
    return login_as(world.users.admin)


def _definition(db, code: str) -> ReportDefinition:
    return db.session.scalars(select(ReportDefinition).where(ReportDefinition.code == code)).one()


def _audit_rows(db, object_type: str) -> list[AuditLog]:
    return db.session.scalars(
        select(AuditLog).where(AuditLog.object_type == object_type).order_by(AuditLog.id)
    ).all()


def _edit_url(definition: ReportDefinition) -> str:
    return f"/admin/report-definitions/{definition.id}/edit"


def _form_data(client, definition: ReportDefinition, **changes) -> dict:
    """What the edit page submits untouched, with ``changes`` (None: the field is not sent, as an
    unticked box is not)."""
    doc = parse(client.get(_edit_url(definition)))
    data = {k: v if len(v) > 1 else v[0] for k, v in browser_form(doc.by_id("definition-form")).items()}
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def _preview(doc) -> dict[str, tuple[str, list[str]]]:
    """{period: (cut-off, [deadline per level])} of the preview table."""
    rows = {}
    for row in doc.by_id("preview-periods").find_all("tr"):
        if row.attrs.get("data-period"):
            cells = row.find_all("td")
            cut_off = next(c.attrs["data-cut-off"] for c in cells if c.attrs.get("data-cut-off"))
            deadlines = [c.attrs["data-deadline"] for c in cells if c.attrs.get("data-deadline")]
            rows[row.attrs["data-period"]] = (cut_off, deadlines)
    return rows


def _errors_of(doc, field: str) -> list[str]:
    wrappers = [e for e in doc.find_all("div") if "has-error" in (e.attrs.get("class") or "").split()]
    return [e.text for e in wrappers if e.find_all(name=field)]


# -- report definitions ----------------------------------------------------------------------------


def test_the_seeded_definitions_are_listed_with_their_rules_in_words(admin, db):
    doc = parse(admin.get("/admin/report-definitions"))

    rows = {r.attrs["data-code"]: r.text for r in doc.find_all("tr") if r.attrs.get("data-code")}
    assert set(rows) == {spec["code"] for spec in report_definitions.DEFINITIONS}
    monthly = rows["task_progress_monthly"]
    assert "Báo cáo tiến độ thực hiện nhiệm vụ hỗ trợ hộ nghèo" in monthly and "Monthly" in monthly
    assert "Commune → District: 3 working days after the cut-off" in monthly
    assert "the 14th (15th-to-14th rule)" in monthly and "Active" in monthly
    assert "District → Province: 5 working days after the cut-off" in rows["programme_quarterly"]
    preliminary = rows["review_preliminary"]
    assert "fixed: 10/11" in preliminary
    assert "District → Province: by 14/11 of the year (fixed date)" in preliminary  # "before 15 November"
    assert "by 19/12 of the year (fixed date)" in rows["review_official"]
    assert "cannot be created or deleted" in doc.markup
    tabs = doc.find_all("nav", class_="tabs")[0]
    current = [a.text for a in tabs.find_all("a") if a.attrs.get("aria-current") == "page"]
    assert current == ["Report definitions"] and "Holidays" in tabs.text


def test_an_admin_changes_every_element_and_the_change_is_audited(admin, world, db):
    quarterly = _definition(db, "programme_quarterly")
    before = (list(quarterly.recipients), list(quarterly.sections), quarterly.legal_basis, quarterly.sent_by)
    page = parse(admin.get(_edit_url(quarterly)))
    assert "programme_quarterly" in page.by_id("definition-facts").text  # shown, not a field
    assert page.by_id("deadlines-0-working_days").attrs["value"] == "5"
    assert "Sở Lao động - Thương binh và Xã hội tỉnh" in page.by_id("recipients").text

    data = _form_data(
        admin,
        quarterly,
        code="hacked",  # not a field: the code, frequency and builder never change here
        frequency="monthly",
        name="Báo cáo quý về giảm nghèo",
        content="Số hộ nghèo theo quý.",
        legal_basis="NĐ 09/2019/NĐ-CP",
        sent_by="Văn bản giấy",
        recipients="UBND tỉnh\n\n   Sở Tài chính tỉnh  \nLưu: VT\n",
        sections="Phần một\nPhần hai",
        active=None,
        **{"deadlines-0-working_days": "7"},
    )
    done = admin.post_form(_edit_url(quarterly), data)

    assert done.status_code == 302 and location_path(done) == "/admin/report-definitions"
    quarterly = _definition(db, "programme_quarterly")
    assert (quarterly.code, quarterly.frequency, quarterly.builder) == (
        "programme_quarterly",
        "quarterly",
        "programme_quarterly",
    )
    assert quarterly.name == "Báo cáo quý về giảm nghèo" and quarterly.content == "Số hộ nghèo theo quý."
    assert quarterly.recipients == ["UBND tỉnh", "Sở Tài chính tỉnh", "Lưu: VT"]
    assert quarterly.sections == ["Phần một", "Phần hai"]
    assert (quarterly.active, quarterly.deadlines[0].working_days) == (False, 7)
    [row] = _audit_rows(db, "report_definitions")
    assert (row.action, row.object_id, row.actor_id) == ("update", quarterly.id, world.users.admin.id)
    spec = next(s for s in report_definitions.DEFINITIONS if s["code"] == "programme_quarterly")
    assert row.changes == {
        "name": [spec["name"], "Báo cáo quý về giảm nghèo"],
        "content": [spec["content"], "Số hộ nghèo theo quý."],
        "legal_basis": [before[2], "NĐ 09/2019/NĐ-CP"],
        "sent_by": [before[3], "Văn bản giấy"],
        "recipients": [before[0], ["UBND tỉnh", "Sở Tài chính tỉnh", "Lưu: VT"]],
        "sections": [before[1], ["Phần một", "Phần hai"]],
        "active": [True, False],
        "deadline_district": [{"working_days": 5}, {"working_days": 7}],
    }
    listed = parse(admin.get("/admin/report-definitions"))
    text = next(r.text for r in listed.find_all("tr") if r.attrs.get("data-code") == "programme_quarterly")
    assert "7 working days after the cut-off" in text and "Inactive" in text


def test_a_deadline_rule_switches_from_working_days_to_a_fixed_date_and_back(admin, db):
    official = _definition(db, "review_official")
    fixed = {"deadlines-0-fixed_month": "", "deadlines-0-fixed_day": ""}

    to_days = admin.post_form(
        _edit_url(official), _form_data(admin, official, **fixed, **{"deadlines-0-working_days": "4"})
    )
    assert to_days.status_code == 302
    rule = _definition(db, "review_official").deadlines[0]
    assert (rule.working_days, rule.fixed_month, rule.fixed_day) == (4, None, None)

    back = _form_data(
        admin,
        official,
        **{"deadlines-0-working_days": "", "deadlines-0-fixed_month": "12", "deadlines-0-fixed_day": "22"},
    )
    assert admin.post_form(_edit_url(official), back).status_code == 302

    rule = _definition(db, "review_official").deadlines[0]
    assert (rule.working_days, rule.fixed_month, rule.fixed_day) == (None, 12, 22)
    assert [r.changes for r in _audit_rows(db, "report_definitions")] == [
        {"deadline_district": [{"fixed_month": 12, "fixed_day": 19}, {"working_days": 4}]},
        {"deadline_district": [{"working_days": 4}, {"fixed_month": 12, "fixed_day": 22}]},
    ]


def test_the_fixed_cut_off_moves_and_the_preview_follows(admin, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", date(2020, 6, 1))
    preliminary = _definition(db, "review_preliminary")
    assert _preview(parse(admin.get(_edit_url(preliminary))))["2020"] == ("2020-11-10", ["2020-11-16"])

    data = _form_data(admin, preliminary, cutoff_month="11", cutoff_day="5")
    assert admin.post_form(_edit_url(preliminary), data).status_code == 302

    preliminary = _definition(db, "review_preliminary")
    assert (preliminary.cutoff_month, preliminary.cutoff_day) == (11, 5)
    [row] = _audit_rows(db, "report_definitions")
    assert row.changes == {"cutoff_day": [10, 5]}
    # 14 November 2020 is a Saturday: the fixed deadline rolls to Monday 16 November.
    assert _preview(parse(admin.get(_edit_url(preliminary))))["2020"] == ("2020-11-05", ["2020-11-16"])


def test_the_preview_starts_at_the_next_cut_off_even_a_fixed_one(admin, db, app, monkeypatch):
    # 20 November 2020 is in period "2020" (it ends on 14 December), whose cut-off 10 November has passed.
    monkeypatch.setitem(app.config, "TODAY", date(2020, 11, 20))
    preliminary = _definition(db, "review_preliminary")

    assert list(_preview(parse(admin.get(_edit_url(preliminary))))) == ["2021", "2022", "2023"]


def test_saving_without_a_change_writes_no_audit_row(admin, db):
    monthly = _definition(db, "task_progress_monthly")
    assert admin.post_form(_edit_url(monthly), _form_data(admin, monthly)).status_code == 302
    assert _audit_rows(db, "report_definitions") == []


WD, FM, FD = "deadlines-0-working_days", "deadlines-0-fixed_month", "deadlines-0-fixed_day"
INVALID = {
    "both-rules": ("programme_quarterly", {WD: "5", FM: "12", FD: "20"}, WD, "not both"),
    "no-rule": (
        "programme_quarterly",
        {WD: ""},
        WD,
        "Give the working days after the cut-off, or a fixed date",
    ),
    "zero-days": ("programme_quarterly", {WD: "0"}, WD, "Between 1 and 60 working days"),
    "61-days": ("programme_quarterly", {WD: "61"}, WD, "Between 1 and 60 working days"),
    "31-april": ("review_official", {FM: "4", FD: "31"}, FM, "31/4 is not a day that every year has"),
    "29-february": ("review_official", {FM: "2", FD: "29"}, FM, "29/2 is not a day that every year has"),
    "half-a-fixed-date": ("review_official", {FD: ""}, FM, "Give both the month and the day, or neither"),
    "half-a-cut-off": ("review_preliminary", {"cutoff_day": ""}, "cutoff_month", "Give both the month"),
    "cut-off-31-april": (
        "review_preliminary",
        {"cutoff_month": "4", "cutoff_day": "31"},
        "cutoff_month",
        "31/4",
    ),
    "cut-off-not-annual": (
        "programme_quarterly",
        {"cutoff_month": "3", "cutoff_day": "10"},
        "cutoff_month",
        "Only an annual report can have a fixed cut-off",
    ),
    "cut-off-after-the-period": (
        "review_preliminary",
        {"cutoff_month": "12", "cutoff_day": "20", FM: "12", FD: "28"},
        "cutoff_month",
        "falls by 14 December",
    ),
    "fixed-date-not-annual": (
        "programme_quarterly",
        {WD: "", FM: "12", FD: "20"},
        FM,
        "A fixed date suits an annual report only",
    ),
    "fixed-date-before-cut-off": (
        "review_preliminary",
        {FM: "11", FD: "9"},
        FM,
        "The deadline must come after the cut-off (10/11)",
    ),
    "no-name": ("task_progress_monthly", {"name": "  "}, "name", "This field is required"),
    "no-recipient": (
        "task_progress_monthly",
        {"recipients": "\n \n"},
        "recipients",
        "Write at least one line",
    ),
}


@pytest.mark.parametrize(("code", "changes", "field", "message"), INVALID.values(), ids=INVALID.keys())
def test_invalid_definitions_answer_422_with_the_reason_and_change_nothing(
    admin, db, code, changes, field, message
):
    definition = _definition(db, code)
    stored = (
        definition.name,
        definition.recipients,
        definition.cutoff_month,
        definition.cutoff_day,
        [(r.working_days, r.fixed_month, r.fixed_day) for r in definition.deadlines],
    )

    response = admin.post_form(_edit_url(definition), _form_data(admin, definition, **changes))

    assert response.status_code == 422
    doc = parse(response)
    assert any(message in text for text in _errors_of(doc, field)), _errors_of(doc, field)
    assert "Please correct the fields marked in red." in doc.alerts()
    definition = _definition(db, code)
    assert stored == (
        definition.name,
        definition.recipients,
        definition.cutoff_month,
        definition.cutoff_day,
        [(r.working_days, r.fixed_month, r.fixed_day) for r in definition.deadlines],
    )
    assert _audit_rows(db, "report_definitions") == []


def test_a_post_without_the_rules_of_every_level_is_refused(admin, db):
    monthly = _definition(db, "task_progress_monthly")
    data = _form_data(admin, monthly, **{WD: None, FM: None, FD: None})
    assert admin.post_form(_edit_url(monthly), data).status_code == 400
    assert _audit_rows(db, "report_definitions") == []


def test_reports_already_created_keep_their_deadline(admin, world, db):
    report = make_report(world.commune_a, "task_progress_monthly", "2020-03")
    db.session.commit()
    deadline = report.deadline
    monthly = _definition(db, "task_progress_monthly")

    assert admin.post_form(_edit_url(monthly), _form_data(admin, monthly, **{WD: "10"})).status_code == 302

    assert _definition(db, "task_progress_monthly").deadlines[0].working_days == 10
    assert db.session.get(ReportInstance, report.id).deadline == deadline


# -- the preview -----------------------------------------------------------------------------------


def test_the_preview_reflects_a_holiday_added_meanwhile(admin, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", date(2020, 3, 1))
    quarterly = _definition(db, "programme_quarterly")
    # Cut-off Saturday 14 March 2020; five working days: 16, 17, 18, 19, 20 March.
    assert date(2020, 3, 14).weekday() == 5 and date(2020, 3, 23).weekday() == 0
    before = _preview(parse(admin.get(_edit_url(quarterly))))
    assert list(before) == ["2020-Q1", "2020-Q2", "2020-Q3"]
    assert before["2020-Q1"] == ("2020-03-14", ["2020-03-20"])

    added = admin.post_form("/admin/holidays", {"day": "2020-03-16", "name": "Ngày nghỉ thử"})
    assert added.status_code == 303

    after = _preview(parse(admin.get(_edit_url(quarterly))))
    assert after["2020-Q1"] == ("2020-03-14", ["2020-03-23"])  # 17, 18, 19, 20 and Monday 23 March
    assert after["2020-Q2"] == before["2020-Q2"]


def test_the_live_preview_uses_the_submitted_rules_and_saves_nothing(admin, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", date(2020, 3, 1))
    quarterly = _definition(db, "programme_quarterly")
    url = f"/admin/report-definitions/{quarterly.id}/preview"
    page = parse(admin.get(_edit_url(quarterly)))
    form = page.by_id("definition-form")
    assert form.attrs["hx-post"] == url and form.attrs["hx-target"] == "#definition-preview"

    fragment = admin.post_form(
        url,
        _form_data(admin, quarterly, **{WD: "8"}),
        htmx=True,
        headers={"HX-Target": "definition-preview"},
    )

    assert fragment.status_code == 200 and not is_full_page(fragment)
    doc = parse(fragment)
    assert [e.id for e in doc.roots if e.id] == ["definition-preview"]
    # 16..20 March, 23, 24, 25 March: the eighth working day after Saturday 14 March.
    assert _preview(doc)["2020-Q1"] == ("2020-03-14", ["2020-03-25"])
    assert fragment.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    assert _definition(db, "programme_quarterly").deadlines[0].working_days == 5
    assert _audit_rows(db, "report_definitions") == []

    # Without htmx (the Preview button) the whole form page comes back with the preview.
    full = admin.post_form(url, _form_data(admin, quarterly, **{WD: "8"}))
    assert full.status_code == 200 and is_full_page(full)
    assert _preview(parse(full))["2020-Q1"] == ("2020-03-14", ["2020-03-25"])
    assert _definition(db, "programme_quarterly").deadlines[0].working_days == 5


def test_the_live_preview_of_invalid_rules_says_why(admin, db):
    quarterly = _definition(db, "programme_quarterly")
    response = admin.post_form(
        f"/admin/report-definitions/{quarterly.id}/preview",
        _form_data(admin, quarterly, **{WD: "61"}),
        htmx=True,
        headers={"HX-Target": "definition-preview"},
    )

    assert response.status_code == 422 and not is_full_page(response)
    doc = parse(response)
    assert not doc.has_id("preview-periods")
    assert "District → Province: Between 1 and 60 working days." in doc.markup


# -- holidays --------------------------------------------------------------------------------------


def _holiday_days(doc) -> list[str]:
    return [r.attrs["data-day"] for r in doc.find_all("tr") if r.attrs.get("data-day")]


def test_holidays_are_listed_by_year_this_year_by_default(admin, db, app, monkeypatch):
    report_definitions.seed_holidays()
    db.session.commit()
    monkeypatch.setitem(app.config, "TODAY", date(2021, 6, 1))

    doc = parse(admin.get("/admin/holidays"))

    expected_2021 = sorted(d.isoformat() for d, _name in report_definitions.HOLIDAYS if d.year == 2021)
    assert _holiday_days(doc) == expected_2021
    assert "Quốc khánh (verify)" in doc.by_id("holidays").text
    options = doc.by_id("year").find_all("option")
    assert [o.text for o in options] == ["2020", "2021"]
    assert [o.text for o in options if "selected" in o.attrs] == ["2021"]
    tabs = doc.find_all("nav", class_="tabs")[0]
    assert [a.text for a in tabs.find_all("a") if a.attrs.get("aria-current") == "page"] == ["Holidays"]
    assert "keep their deadline" in doc.markup

    in_2020 = _holiday_days(parse(admin.get("/admin/holidays?year=2020")))
    assert in_2020 == sorted(d.isoformat() for d, _name in report_definitions.HOLIDAYS if d.year == 2020)


def test_an_admin_adds_and_removes_a_holiday_both_audited(admin, db):
    added = admin.post_form("/admin/holidays", {"day": "2022-04-11", "name": "  Giỗ Tổ Hùng Vương  "})

    assert added.status_code == 303 and location_path(added) == "/admin/holidays"
    assert location_query(added) == {"year": ["2022"]}
    holiday = db.session.scalars(select(Holiday)).one()
    holiday_id = holiday.id
    assert (holiday.day, holiday.name) == (date(2022, 4, 11), "Giỗ Tổ Hùng Vương")
    page = parse(admin.get("/admin/holidays?year=2022"))
    assert _holiday_days(page) == ["2022-04-11"] and "Holiday 11/04/2022 added." in page.markup
    delete = next(f for f in page.find_all("form") if f.attrs.get("action", "").endswith("/delete"))
    assert delete.attrs["action"] == f"/admin/holidays/{holiday_id}/delete" and delete.attrs.get("hx-confirm")

    removed = admin.post_form(f"/admin/holidays/{holiday_id}/delete")

    assert removed.status_code == 303 and location_query(removed) == {"year": ["2022"]}
    assert db.session.scalar(select(func.count(Holiday.id))) == 0
    rows = _audit_rows(db, "holidays")
    assert [(r.action, r.object_id, r.changes) for r in rows] == [
        ("create", holiday_id, {"day": [None, "2022-04-11"], "name": [None, "Giỗ Tổ Hùng Vương"]}),
        ("delete", holiday_id, {"day": ["2022-04-11", None], "name": ["Giỗ Tổ Hùng Vương", None]}),
    ]


def test_a_second_holiday_on_the_same_day_is_refused_with_a_message(admin, db):
    assert admin.post_form("/admin/holidays", {"day": "2020-09-02", "name": "Quốc khánh"}).status_code == 303

    response = admin.post_form("/admin/holidays", {"day": "2020-09-02", "name": "Trùng ngày"})

    assert response.status_code == 422
    doc = parse(response)
    assert any("already in the list of holidays (Quốc khánh)" in t for t in _errors_of(doc, "day"))
    assert _holiday_days(doc) == ["2020-09-02"]  # the year of the date given is shown
    assert db.session.scalars(select(Holiday.name)).all() == ["Quốc khánh"]
    assert [r.action for r in _audit_rows(db, "holidays")] == ["create"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"day": "", "name": "Tết"}, "day"),
        ({"day": "2020-02-30", "name": "Tết"}, "day"),
        ({"day": "2020-02-03", "name": ""}, "name"),
    ],
    ids=["no-date", "no-such-date", "no-name"],
)
def test_an_invalid_holiday_answers_422(admin, db, data, field):
    response = admin.post_form("/admin/holidays", data)

    assert response.status_code == 422
    assert _errors_of(parse(response), field)
    assert db.session.scalar(select(func.count(Holiday.id))) == 0
    assert _audit_rows(db, "holidays") == []


# -- permissions and unknown ids -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "staff"])
def test_only_admins_see_or_change_the_reporting_regime(world, db, login_as, who):
    report_definitions.seed_definitions()
    holiday = Holiday(day=date(2020, 9, 2), name="Quốc khánh")
    db.session.add(holiday)
    db.session.commit()
    quarterly = _definition(db, "programme_quarterly")
    client = login_as(getattr(world.users, who))

    assert client.get("/admin/report-definitions").status_code == 403
    assert client.get(_edit_url(quarterly)).status_code == 403
    assert client.post_form(_edit_url(quarterly), {"name": "x", WD: "9"}).status_code == 403
    assert client.post_form(f"/admin/report-definitions/{quarterly.id}/preview", {WD: "9"}).status_code == 403
    assert client.get("/admin/holidays").status_code == 403
    assert client.post_form("/admin/holidays", {"day": "2020-03-16", "name": "x"}).status_code == 403
    assert client.post_form(f"/admin/holidays/{holiday.id}/delete").status_code == 403

    assert _definition(db, "programme_quarterly").deadlines[0].working_days == 5
    assert db.session.scalars(select(Holiday.day)).all() == [date(2020, 9, 2)]
    denied = db.session.scalars(select(AuditLog.action).where(AuditLog.action == "access_denied")).all()
    assert len(denied) == 7


def test_unknown_ids_answer_404(admin):
    assert admin.get("/admin/report-definitions/999999/edit").status_code == 404
    assert admin.post_form("/admin/report-definitions/999999/edit", {}).status_code == 404
    assert admin.post_form("/admin/report-definitions/999999/preview", {}).status_code == 404
    assert admin.post_form("/admin/holidays/999999/delete").status_code == 404
