"""XLSX imports through the web: upload (checked by content), the parse job's problems and preview,
confirmation and the commit job, re-imports, scope and roles.

The jobs the views enqueue are taken from the (real) Redis queue and run in this process, so each
test sees exactly what the view asked for; tests/tasks/test_import_jobs.py runs them in a real
worker. Problems are compared as stored (sheet, row, column letter, msgid); a rendered page is
checked for the same cells.
"""

import hashlib
import io
import uuid
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rq import Queue
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Household, ImportBatch, Member, ReviewRecord
from app.services import import_workbook as wb
from app.services import imports as service
from app.services import xlsx_guard
from app.tasks import imports as jobs
from app.tasks.queues import redis_client
from tests.blueprints.helpers import add_member, parse
from tests.data.make_import_sample import HOUSEHOLDS, MEMBERS, REVIEWS, Formula, write_workbook

#: every table an import may write, with a checksum of its rows in key order
WRITTEN = (
    "households",
    "members",
    "review_records",
    "household_causes",
    "household_needs",
    "review_deprivations",
)
LAN_ID = "006182000777"  # a member of A-0002 (Hoàng Thị Lan) in the registry


def snapshot() -> dict[str, tuple[int, str]]:
    """(row count, sha256 of the ordered rows) of each table an import writes."""
    db.session.expire_all()
    found = {}
    for name in WRITTEN:
        table = db.metadata.tables[name]
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        found[name] = (len(rows), hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest())
    return found


def versions() -> dict[str, int]:
    return dict(db.session.execute(select(Household.code, Household.version)).all())


@pytest.fixture
def storage(app, tmp_path, monkeypatch):
    """Files under a fresh STORAGE_DIR; jobs on a queue of this test's own."""
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "storage"))
    monkeypatch.setitem(app.config, "IMPORTS_QUEUE", f"test-imports-{uuid.uuid4().hex[:8]}")
    yield tmp_path / "storage" / "imports"
    queue().empty()


def queue() -> Queue:
    from flask import current_app

    return Queue(current_app.config["IMPORTS_QUEUE"], connection=redis_client())


def run_jobs() -> list[str]:
    """Run the jobs waiting in the test's queue, in this process, in order; returns what they said."""
    said = []
    for job in queue().get_jobs():
        said.append(job.func(*job.args, **job.kwargs))
        job.delete()
    db.session.expire_all()
    return said


@pytest.fixture
def world_a(world, db):
    """The small world, with a citizen ID on a member of A-0002 (commune A)."""
    add_member(world.households.lan, "Hoàng Văn Tuấn", LAN_ID, birth_year=1982, sex="male", relation="spouse")
    return world


def xlsx(rows: dict, **kw) -> bytes:
    buffer = io.BytesIO()
    write_workbook(buffer, rows, **kw)
    return buffer.getvalue()


def upload(client, data: bytes, name: str = "danh-sach.xlsx"):
    payload = {"file": (io.BytesIO(data), name), "csrf_token": client.csrf or client.refresh_csrf()}
    return client.post("/imports/", data=payload, content_type="multipart/form-data")


def upload_and_parse(client, data: bytes, name: str = "danh-sach.xlsx") -> ImportBatch:
    response = upload(client, data, name)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    batch_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert run_jobs() in (["ready"], ["invalid"])
    return db.session.get(ImportBatch, batch_id)


def confirm(client, batch: ImportBatch, **kw):
    return client.post_form(f"/imports/{batch.id}/confirm", **kw)


def problems_of(batch: ImportBatch) -> set[tuple]:
    return {(p["sheet"], p["row"], p["column"], p["message"]) for p in batch.problems}


# -- a valid import ---------------------------------------------------------------------------------


def valid_rows() -> dict[str, list[list]]:
    """Two new households of commune A, results for them and for A-0001 and A-0002 (registry)."""
    return {
        HOUSEHOLDS: [
            [
                "A-0100",
                "Nông Văn Pảo",
                "Tày",
                "99901-01",
                "Thôn Nà Pài, xã Cẩm Giàng Thử",
                "Nông thôn",
                "0912345678",
                "NO_LAND, NO_CAPITAL",
                "CREDIT",
                None,
            ],
            [
                "A-0101",
                "Triệu Thị Mây",
                "dao",
                "99901-02",
                "Thôn Khuổi Chắp",
                "Rural",
                None,
                None,
                None,
                "Hộ mới",
            ],
        ],  # fmt: skip
        MEMBERS: [
            [
                "A-0100",
                "Nông Văn Pảo",
                "Chủ hộ",
                "Nam",
                1978,
                "Tày",
                "006078123456",
                "Làm ruộng",
                "HN4060612345678",
                None,
                "Không",
            ],
            [
                "A-0100",
                "Hà Thị Slao",
                "Vợ/chồng",
                "Nữ",
                1980,
                "Tày",
                "006180654321",
                "Làm nương",
                None,
                None,
                None,
            ],
            [
                "A-0100",
                "Nông Văn Slằn",
                "Con",
                "Nam",
                2010,
                "Tày",
                None,
                "Học sinh",
                None,
                "Đang đi học",
                None,
            ],
            [
                "A-0101",
                "Triệu Thị Mây",
                "Head of household",
                "Female",
                1985,
                "Dao",
                None,
                "Làm thuê",
                None,
                None,
                "Có",
            ],
        ],  # fmt: skip
        REVIEWS: [
            [
                "A-0100",
                2019,
                "Chính thức",
                600_000,
                "HEALTH_INSURANCE, LATRINE",
                "125/QĐ-UBND",
                date(2019, 12, 20),
            ],
            ["A-0001", 2020, "Chính thức", "800.000", "LATRINE", "130/QĐ-UBND", "20/12/2020"],
            ["A-0002", 2020, "Sơ bộ", 650_000, None, None, None],
            [
                "A-0101",
                2022,
                "Chính thức",
                1_200_000,
                "EMPLOYMENT, NUTRITION, LATRINE",
                "7/QĐ-UBND",
                date(2022, 12, 15),
            ],
        ],  # fmt: skip
    }


def test_a_valid_file_is_previewed_then_written_as_it_said(app, world_a, storage, login_as):
    client = login_as(world_a.users.staff_a)
    before = snapshot()

    batch = upload_and_parse(client, xlsx(valid_rows()))

    assert (batch.status, batch.problem_count, batch.rows_total) == ("ready", 0, 10)
    planned = {
        "households": {"created": 2, "updated": 0, "unchanged": 0},
        "members": {"created": 4, "updated": 0, "unchanged": 0},
        "reviews": {"created": 4, "updated": 0, "unchanged": 0},
    }
    assert batch.counts == planned
    assert snapshot() == before, "the preview wrote something"
    page = parse(client.get(f"/imports/{batch.id}"))
    counts = page.by_id("import-counts")
    assert [c.text for c in counts.find_all("td")] == ["2", "0", "0", "4", "0", "0", "4", "0", "0"]

    response = confirm(client, batch, htmx=True)
    assert response.status_code == 200 and parse(response).by_id("import-batch")
    assert run_jobs() == ["committed"]

    batch = db.session.get(ImportBatch, batch.id)
    assert (batch.status, batch.counts, batch.error) == ("committed", planned, None)
    new = db.session.scalars(select(Household).where(Household.code == "A-0100")).one()
    assert (new.head_name, new.unit_id, new.area, new.phone) == (
        "Nông Văn Pảo", world_a.village_a1.id, "rural", "0912345678"
    )  # fmt: skip
    assert [c.code for c in new.causes] == ["NO_LAND", "NO_CAPITAL"] and [n.code for n in new.needs] == [
        "CREDIT"
    ]
    assert [(m.full_name, m.relation, m.citizen_id) for m in new.members] == [
        ("Nông Văn Pảo", "head", "006078123456"),
        ("Hà Thị Slao", "spouse", "006180654321"),
        ("Nông Văn Slằn", "child", None),
    ]
    assert new.members[0].health_insurance_card == "HN4060612345678"
    assert new.members[2].schooling == "in_school"
    assert "006078123456" in new.search_text and "nong van slan" in new.search_text
    other = db.session.scalars(select(Household).where(Household.code == "A-0101")).one()
    assert (other.ethnicity, other.notes, other.members[0].relation, other.members[0].has_disability) == (
        "Dao", "Hộ mới", "head", True
    )  # fmt: skip
    after = snapshot()
    assert after["households"][0] == before["households"][0] + 2
    assert after["members"][0] == before["members"][0] + 4
    assert after["review_records"][0] == before["review_records"][0] + 4


def record(code: str, year: int, kind: str = "official") -> ReviewRecord:
    return db.session.scalars(
        select(ReviewRecord)
        .join(Household)
        .where(Household.code == code, ReviewRecord.year == year, ReviewRecord.kind == kind)
    ).one()


def test_review_rows_are_classified_under_their_years_standard_with_the_transition(
    app, world_a, storage, login_as
):
    client = login_as(world_a.users.staff_a)
    batch = upload_and_parse(client, xlsx(valid_rows()))
    confirm(client, batch)
    run_jobs()

    new = record("A-0100", 2019)  # QĐ 59/2015: 600,000 ≤ the rural poor line of 700,000
    assert (new.standard.code, new.result, new.criterion, new.transition) == (
        "QD59-2015",
        "poor",
        "income",
        None,
    )
    assert (new.income_per_month, new.score_b, new.decision_number) == (600_000, 20, "125/QĐ-UBND")
    assert sorted(i.code for i in new.deprivations) == ["HEALTH_INSURANCE", "LATRINE"]
    moved = record("A-0001", 2020)  # poor in 2019 (the world's record); 800,000 with one deprivation
    assert (moved.standard.code, moved.result, moved.transition) == (
        "QD59-2015",
        "near_poor",
        "poor_to_near_poor",
    )
    assert moved.decision_date == date(2020, 12, 20) and moved.unit_id == world_a.village_a1.id
    household = db.session.scalars(select(Household).where(Household.code == "A-0001")).one()
    assert (household.status, household.status_year) == ("near_poor", 2020), "the official result moved it"
    preliminary = record("A-0002", 2020, "preliminary")
    assert (preliminary.result, preliminary.transition) == ("poor", None)
    lan = db.session.scalars(select(Household).where(Household.code == "A-0002")).one()
    assert (lan.status, lan.status_year) == ("near_poor", 2019), "a preliminary result leaves the status"
    later = record("A-0101", 2022)  # NĐ 07/2021: income ≤ 1,500,000 and 3 deprivations of its list
    assert (later.standard.code, later.result, later.criterion) == ("ND07-2021", "poor", None)


def test_importing_the_same_file_again_changes_nothing(app, world_a, storage, login_as):
    client = login_as(world_a.users.staff_a)
    data = xlsx(valid_rows())
    first = upload_and_parse(client, data)
    confirm(client, first)
    run_jobs()
    before, versions_before = snapshot(), versions()

    again = upload_and_parse(client, data, "lan-2.xlsx")

    unchanged = {
        "households": {"created": 0, "updated": 0, "unchanged": 2},
        "members": {"created": 0, "updated": 0, "unchanged": 4},
        "reviews": {"created": 0, "updated": 0, "unchanged": 4},
    }
    assert (again.status, again.sha256, again.counts) == ("ready", first.sha256, unchanged)
    notice = [a for a in parse(client.get(f"/imports/{again.id}")).find_all(role="note") if a.find_all("a")]
    assert notice and notice[0].find_all("a")[0].attrs["href"] == f"/imports/{first.id}"
    confirm(client, again)
    assert run_jobs() == ["committed"]
    assert db.session.get(ImportBatch, again.id).counts == unchanged
    assert snapshot() == before and versions() == versions_before


def test_one_changed_occupation_updates_one_member(app, world_a, storage, login_as):
    client = login_as(world_a.users.staff_a)
    first = upload_and_parse(client, xlsx(valid_rows()))
    confirm(client, first)
    run_jobs()
    before = snapshot()
    rows = valid_rows()
    rows[MEMBERS][1][7] = "Chăn nuôi"

    batch = upload_and_parse(client, xlsx(rows))
    assert batch.counts["members"] == {"created": 0, "updated": 1, "unchanged": 3}
    assert batch.counts["households"] == {"created": 0, "updated": 0, "unchanged": 2}
    confirm(client, batch)
    run_jobs()

    batch = db.session.get(ImportBatch, batch.id)
    assert batch.counts["members"] == {"created": 0, "updated": 1, "unchanged": 3}
    member = db.session.scalars(select(Member).where(Member.citizen_id == "006180654321")).one()
    assert member.occupation == "Chăn nuôi"
    after = snapshot()
    assert after["members"][0] == before["members"][0] and after["members"][1] != before["members"][1]
    assert {k: v for k, v in after.items() if k != "members"} == {
        k: v for k, v in before.items() if k != "members"
    }


def test_a_member_without_citizen_id_is_known_by_name_and_birth_year(app, world_a, storage, login_as):
    """A-0001's head (no ID in the registry) is matched, not doubled; an empty ID keeps a stored one."""
    client = login_as(world_a.users.staff_a)
    rows = {
        MEMBERS: [
            ["A-0001", "Nguyễn  Văn Đức", "Chủ hộ", "Nam", 1975, "Tày", None, "Làm ruộng", None, None, None],
            ["A-0002", "Hoàng Văn Tuấn", "Vợ/chồng", "Nam", 1982, "Tày", None, "Làm thuê", None, None, None],
        ]
    }
    batch = upload_and_parse(client, xlsx(rows))
    assert batch.counts["members"] == {"created": 0, "updated": 2, "unchanged": 0}
    confirm(client, batch)
    run_jobs()
    duc = db.session.scalars(select(Household).where(Household.code == "A-0001")).one()
    assert [(m.full_name, m.occupation) for m in duc.members] == [("Nguyễn Văn Đức", "Làm ruộng")]
    assert (
        db.session.scalars(select(Member).where(Member.full_name == "Hoàng Văn Tuấn")).one().citizen_id
        == LAN_ID
    )


# -- problems ---------------------------------------------------------------------------------------


H, M, R = (sheet.name for sheet in wb.SHEETS)


def every_problem_rows() -> tuple[dict, set]:
    """A workbook with every problem the checks know in its cells, and where each must be reported."""
    rows = {
        HOUSEHOLDS: [
            ["A-0200", "Hà Văn Pảo", "Tày", "99901-01", "Pài", "Rural", None, "NO_LAND;NO_ROAD", "CREDIT;X"],
            ["A-0200", "Nông Thị Mến", "Nùng", "99901-02", "Khuổi Chắp", "Nông thôn"],
            ["A-0201", None, "Tày", "99902-01", "Bản Chiêng", "Miền núi"],
            ["B-0001", "Giàng Seo Pao", "Martian", "99901-01", "Nà Pài", "Nông thôn"],
            ["A-0202", "Lý Văn Kiềm", "Dao", "XX-99", Formula('="Thôn "&"Nà Pài"'), "Nông thôn"],
        ],
        MEMBERS: [
            ["A-0200", "Hoàng Văn Pảo", "Chủ hộ", "Nam", 1980, "Tày", "006080000001"],
            ["A-0200", "Hoàng Thị Slao", "Chủ hộ", "Nữ", 1982, "Tày", "006182000002"],
            ["A-0200", "Hoàng Văn Slằn", "Con", "Nam", 2005, "Tày", "00608000003"],
            ["A-0200", "Hoàng Văn Khiêm", "Con", "Nam", 2003, "Tày", 12030456789],
            ["A-0200", "Hoàng Thị Nhàn", "Con", "Nữ", 2001, "Tày", "006080000001"],
            ["A-0200", "Hoàng Văn Tường", "Con", "Nam", 1999, "Tày", LAN_ID],
            ["Z-9999", "Người Lạ", "Con", "Nam", 1990, "Tày"],
            ["A-0200", "Hoàng Văn Lìn", "Cháu", "Alien", 1890, "Tày"],
            ["A-0200", "Hoàng Văn Chẳn", "Em họ", "Nam", 1995, "Tày"],
            ["A-0001", "Nguyễn Văn Tâm", "Chủ hộ", "Nam", 1990, "Tày"],
        ],
        REVIEWS: [
            ["A-0200", 2019, "Chính thức", "sáu trăm", None, "12/QĐ-UBND", "20/12/2019"],
            ["A-0200", 2019, "Sơ bộ", -5000],
            ["A-0200", 2015, "Sơ bộ", 500_000],
            ["A-0200", 2022, "Sơ bộ", 500_000, "EMPLOYMENT, TELECOM, INFO_ASSETS"],
            ["A-0200", 2019, "Chính thức", 500_000, None, None, None],
            ["A-0200", 2020, "Chính thức", 500_000, None, "15/QĐ-UBND", "31/02/2020"],
            ["Z-9998", 2019, "Sơ bộ", 500_000],
            ["A-0200", 2021, "Tạm thời", 500_000],
            ["A-0200", 2021, "Sơ bộ", None],
            [Formula('="A-"&"0200"'), 2021, "Chính thức", 500_000, None, "1/QĐ-UBND", date(2021, 1, 4)],
        ],
    }  # fmt: skip
    expected = {
        (H, 2, "H", service.UNKNOWN_CAUSES),  # an unknown cause code
        (H, 2, "I", service.UNKNOWN_NEEDS),  # an unknown support need code
        (H, 3, "A", service.DUPLICATE_CODE),  # a household code twice in the file
        (H, 4, "B", wb.REQUIRED),  # an empty required cell
        (H, 4, "B", service.NEW_WITHOUT_HEAD),  # a new household without its head
        (H, 4, "D", service.OUTSIDE_VILLAGE),  # a village of another commune
        (H, 4, "F", wb.NOT_ALLOWED),  # an unknown area
        (H, 5, "A", service.OUTSIDE_HOUSEHOLD),  # a household of another commune
        (H, 5, "C", wb.NOT_ALLOWED),  # an unknown ethnicity
        (H, 6, "B", service.NEW_WITHOUT_HEAD),
        (H, 6, "D", service.UNKNOWN_VILLAGE),  # an unknown village code
        (H, 6, "E", wb.FORMULA),  # a formula
        (M, 2, "C", service.HEADS_IN_FILE),  # two heads of one household
        (M, 3, "C", service.HEADS_IN_FILE),
        (M, 4, "G", wb.CITIZEN_ID),  # a citizen ID of 11 characters
        (M, 5, "G", wb.CITIZEN_ID_NUMBER),  # a citizen ID Excel turned into a number
        (M, 6, "G", service.DUPLICATE_ID),  # a citizen ID twice in the file
        (M, 7, "G", service.ID_TAKEN),  # a citizen ID of a member of another household
        (M, 8, "A", service.UNKNOWN_HOUSEHOLD),  # a household neither in the file nor in the registry
        (M, 9, "D", wb.NOT_ALLOWED),  # an unknown sex
        (M, 9, "E", wb.BIRTH_YEAR),  # a birth year out of range
        (M, 10, "C", wb.NOT_ALLOWED),  # an unknown relation
        (M, 11, "C", service.HEAD_IN_REGISTRY),  # a second head beside the registry's
        (M, 11, "B", service.HEAD_NAME),  # a head named otherwise than the household's head
        (R, 2, "D", wb.NOT_MONEY),  # a non-numeric income
        (R, 3, "D", wb.NEGATIVE),  # a negative income
        (R, 4, "B", service.NO_STANDARD),  # a year no standard covers
        (R, 5, "E", service.NOT_INDICATORS),  # an indicator of another standard
        (R, 6, "A", service.DUPLICATE_REVIEW),  # one household's result of one year and kind twice
        (R, 6, "F", wb.DECISION_REQUIRED),  # an official result without its decision's number…
        (R, 6, "G", wb.DECISION_REQUIRED),  # … and date
        (R, 7, "G", wb.NOT_A_DATE),  # a bad date
        (R, 8, "A", service.UNKNOWN_HOUSEHOLD),
        (R, 9, "C", wb.NOT_ALLOWED),  # an unknown kind
        (R, 10, "D", wb.REQUIRED),
        (R, 11, "A", wb.FORMULA),
    }
    return rows, expected


def structure_rows() -> tuple[dict, dict, set]:
    """A workbook whose sheets cannot be read row by row: a renamed header, two columns swapped, a
    column deleted, a sheet missing (the rows, full of mistakes, must not be checked)."""
    headers = {
        HOUSEHOLDS: [c.title for c in wb.HOUSEHOLDS.columns[:9]],
        MEMBERS: [c.title for c in wb.MEMBERS.columns],
    }
    headers[HOUSEHOLDS][1] = "Tên chủ hộ*"
    headers[MEMBERS][2], headers[MEMBERS][3] = headers[MEMBERS][3], headers[MEMBERS][2]
    rows = {HOUSEHOLDS: [["A-0300", None, "Martian"]], MEMBERS: [["Z-1", "X", "Nam", "Con", 1700]]}
    expected = {
        (H, 1, "B", wb.HEADER_RENAMED),
        (H, 1, "J", wb.HEADER_MISSING),
        (M, 1, "C", wb.HEADER_MOVED),
        (M, 1, "D", wb.HEADER_MOVED),
        (R, None, None, wb.MISSING_SHEET),
    }
    return rows, headers, expected


def attempt_everything(client, batch: ImportBatch) -> None:
    """Confirm through the page (refused), then run the commit job anyway (it checks again)."""
    response = confirm(client, batch, htmx=True)
    assert response.status_code == 409
    db.session.execute(update(ImportBatch).where(ImportBatch.id == batch.id).values(status="committing"))
    db.session.commit()
    assert jobs.commit_import(batch.id) == "invalid"
    db.session.expire_all()


def test_every_problem_is_reported_in_its_cell_and_nothing_is_written(app, world_a, storage, login_as):
    client = login_as(world_a.users.staff_a)
    rows, expected = every_problem_rows()
    before = snapshot()

    batch = upload_and_parse(client, xlsx(rows))

    assert batch.status == "invalid"
    assert problems_of(batch) == expected
    assert batch.problem_count == len(expected) and batch.counts == {}
    assert snapshot() == before
    page = parse(client.get(f"/imports/{batch.id}"))
    shown = {
        (r.attrs["data-sheet"], r.attrs["data-row"], r.attrs["data-column"])
        for r in page.find_all("tr")
        if "data-sheet" in r.attrs
    }
    assert shown >= {(s, str(r), c) for s, r, c, _ in expected if r is not None}
    attempt_everything(client, batch)
    assert db.session.get(ImportBatch, batch.id).status == "invalid"
    assert problems_of(db.session.get(ImportBatch, batch.id)) == expected
    assert snapshot() == before


def test_a_workbook_whose_columns_are_wrong_is_reported_sheet_by_sheet(app, world_a, storage, login_as):
    client = login_as(world_a.users.staff_a)
    rows, headers, expected = structure_rows()
    before = snapshot()

    batch = upload_and_parse(client, xlsx(rows, headers=headers, sheets=(HOUSEHOLDS, MEMBERS)))

    assert problems_of(batch) == expected
    renamed = next(p for p in batch.problems if p["message"] == wb.HEADER_RENAMED)
    assert renamed["params"] == {"expected": "Họ tên chủ hộ", "found": "Tên chủ hộ*"}
    attempt_everything(client, batch)
    assert snapshot() == before


def test_problem_messages_are_shown_in_the_readers_language(app, world_a, storage, login_as, db):
    world_a.users.staff_a.locale = "en"
    db.session.commit()
    client = login_as(world_a.users.staff_a)
    rows, _ = every_problem_rows()
    batch = upload_and_parse(client, xlsx(rows))

    text = parse(client.get(f"/imports/{batch.id}")).by_id("import-problems").text
    assert (
        "“Martian” is not an allowed value. Allowed: Tày, Nùng, Dao, Kinh, H'Mông, Sán Chay, Hoa, Khác."
        in text
    )
    assert "The village “99902-01” is outside your area." in text
    assert "This citizen ID already belongs to a member of the household A-0002." in text
    assert LAN_ID not in text, "a citizen ID is never echoed"


def test_a_template_uploaded_as_it_is_has_no_rows(app, world_a, storage, login_as):
    client = login_as(world_a.users.staff_a)
    template = client.get("/imports/template.xlsx")
    assert (
        template.status_code == 200
        and template.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )

    batch = upload_and_parse(client, template.get_data())

    assert (batch.status, problems_of(batch)) == ("invalid", {(None, None, None, wb.NO_ROWS)})


def test_the_template_lists_the_users_villages_and_the_columns(app, world_a, storage, login_as, tmp_path):
    response = login_as(world_a.users.staff_a).get("/imports/template.xlsx")
    assert "attachment" in response.headers["Content-Disposition"]
    path = tmp_path / "mau.xlsx"
    path.write_bytes(response.get_data())
    xlsx_guard.check_workbook(path.read_bytes())
    book = load_workbook(path)
    assert book.sheetnames == ["Hộ gia đình", "Thành viên", "Kết quả rà soát", "Hướng dẫn"]
    for sheet in wb.SHEETS:
        ws = book[sheet.name]
        assert [c.value for c in ws[1]] == [c.title for c in sheet.columns]
        assert ws.freeze_panes == "A2"
    assert book["Thành viên"].column_dimensions["G"].number_format == "@", "citizen IDs are text"
    cells = {c.value for row in book["Hướng dẫn"].iter_rows() for c in row if c.value}
    assert {
        "99901-01",
        "99901-02",
        "NO_LAND",
        "CREDIT",
        "HEALTH_INSURANCE",
        "EMPLOYMENT",
        "2016–2021",
    } <= cells
    assert "99902-01" not in cells, "only the villages of the user's area"


# -- refused uploads --------------------------------------------------------------------------------


def zip_bomb() -> bytes:
    """An .xlsx-shaped zip whose sheet inflates 200 times over: 20 MB of zeros in ~20 KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    return buffer.getvalue()


PAGE = b"<!DOCTYPE html><html><body><table><tr><td>A-0001</td></tr></table></body></html>"
REFUSED = {
    "renamed program": (b"MZ\x90\x00\x03" + b"\0" * 200, "danh-sach.xlsx", "executable", {}),
    "web page": (PAGE, "danh-sach.xlsx", "html", {}),
    "zip bomb": (zip_bomb(), "bom.xlsx", "too_big_unpacked", {"limit": 100}),
}


@pytest.mark.parametrize(("data", "name", "code", "params"), REFUSED.values(), ids=REFUSED.keys())
def test_a_refused_upload_leaves_nothing(app, world_a, storage, login_as, db, data, name, code, params):
    world_a.users.staff_a.locale = "en"
    db.session.commit()
    client = login_as(world_a.users.staff_a)

    response = upload(client, data, name)

    assert response.status_code == 422
    errors = parse(response).find_all("div", class_="error")
    assert [e.text for e in errors] == [xlsx_guard.MESSAGES[code] % params]
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 0
    assert not storage.exists() or list(storage.iterdir()) == []
    assert queue().count == 0


# -- scope, roles, workflow ---------------------------------------------------------------------------


def test_another_communes_batch_is_404_and_the_district_sees_it(app, world_a, storage, login_as):
    batch = upload_and_parse(login_as(world_a.users.staff_a), xlsx(valid_rows()))
    outsider = login_as(world_a.users.staff_b)
    for response in (
        outsider.get(f"/imports/{batch.id}"),
        confirm(outsider, batch),
        outsider.post_form(f"/imports/{batch.id}/cancel"),
    ):
        assert response.status_code == 404
    assert batch.filename not in outsider.get("/imports/").get_data(as_text=True)
    district = login_as(world_a.users.staff)
    assert district.get(f"/imports/{batch.id}").status_code == 200
    assert batch.filename in district.get("/imports/").get_data(as_text=True)
    response = confirm(district, batch, htmx=True)
    assert response.status_code == 409, "only the uploader confirms"
    assert db.session.get(ImportBatch, batch.id).status == "ready"


@pytest.mark.parametrize("role", ["supervisor_a", "manager"])
def test_supervisors_and_managers_may_not_import(app, world_a, storage, login_as, role):
    batch = upload_and_parse(login_as(world_a.users.staff_a), xlsx(valid_rows()))
    client = login_as(getattr(world_a.users, role))
    assert client.get("/imports/").status_code == 403
    assert client.get("/imports/template.xlsx").status_code == 403
    assert client.get(f"/imports/{batch.id}").status_code == 403
    assert upload(client, xlsx(valid_rows())).status_code == 403
    assert confirm(client, batch).status_code == 403
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 1


def test_the_panel_polls_while_a_job_works_and_stops_after(app, world_a, storage, login_as):
    client = login_as(world_a.users.staff_a)
    response = upload(client, xlsx(valid_rows()))
    url = response.headers["Location"]
    panel = parse(client.htmx_get(url, target="import-batch"))
    assert panel.roots[0].id == "import-batch" and panel.roots[0].attrs["hx-trigger"] == "every 1s"
    assert panel.find_all("progress")
    run_jobs()
    panel = parse(client.htmx_get(url, target="import-batch"))
    assert panel.roots[0].id == "import-batch" and "hx-trigger" not in panel.roots[0].attrs
    page = parse(client.get(url))
    assert page.find_all("html") and page.by_id("import-batch")


def test_cancel_discards_the_file_and_writes_nothing(app, world_a, storage, login_as):
    client = login_as(world_a.users.staff_a)
    batch = upload_and_parse(client, xlsx(valid_rows()))
    stored = Path(storage) / batch.stored_name
    assert stored.is_file()
    before = snapshot()

    response = client.post_form(f"/imports/{batch.id}/cancel")

    assert response.status_code == 303
    assert db.session.get(ImportBatch, batch.id).status == "cancelled" and not stored.exists()
    assert confirm(client, batch, htmx=True).status_code == 409
    assert snapshot() == before and queue().count == 0


def test_a_change_in_the_registry_after_the_preview_is_caught_at_commit(app, world_a, storage, login_as):
    client = login_as(world_a.users.staff_a)
    batch = upload_and_parse(client, xlsx(valid_rows()))
    assert batch.status == "ready"
    add_member(world_a.households.lan, "Hoàng Thị Hoa", "006078123456")  # now taken by another household
    before = snapshot()

    confirm(client, batch)

    assert run_jobs() == ["invalid"]
    batch = db.session.get(ImportBatch, batch.id)
    assert problems_of(batch) == {(M, 2, "G", service.ID_TAKEN)}
    assert snapshot() == before


def test_history_lists_the_areas_imports_newest_first(app, world_a, storage, login_as):
    client = login_as(world_a.users.staff_a)
    first = upload_and_parse(client, xlsx(valid_rows()), "thon-na-pai.xlsx")
    second = upload_and_parse(client, xlsx({}), "rong.xlsx")
    page = parse(client.get("/imports/"))
    history = page.by_id("import-history")
    links = [a.text for a in history.find_all("a") if a.attrs.get("href", "").startswith("/imports/")]
    assert links[:2] == ["rong.xlsx", "thon-na-pai.xlsx"]
    hashes = history.find_all("code")
    assert [h.attrs["title"] for h in hashes[:2]] == [second.sha256, first.sha256]
    assert hashes[0].text == second.sha256[:12] + "…"
    fragment = parse(client.htmx_get("/imports/?page=1", target="import-history"))
    assert fragment.roots[0].id == "import-history" and not fragment.find_all("html")


def test_every_state_of_the_pages_obeys_the_csp(app, world_a, storage, login_as):
    """The pages and fragments as each status renders them (test_security covers one state)."""
    from tests.blueprints.test_security import _markup_problems

    client = login_as(world_a.users.staff_a)
    seen = set()

    def check(url: str, target: str = "import-batch") -> None:
        for headers in ({}, {"HX-Request": "true", "HX-Target": target}):
            response = client.get(url, headers=headers)
            assert response.status_code == 200 and _markup_problems(parse(response)) == [], (url, headers)
        if target == "import-batch":
            seen.add(db.session.get(ImportBatch, int(url.rsplit("/", 1)[1])).status)

    rows, _ = every_problem_rows()
    invalid = upload(client, xlsx(rows)).headers["Location"]
    check(invalid)
    run_jobs()
    check(invalid)
    ready = f"/imports/{upload_and_parse(client, xlsx(valid_rows())).id}"
    check(ready)
    client.post_form(f"{ready}/confirm")
    check(ready)
    run_jobs()
    check(ready)
    check("/imports/?page=1", "import-history")
    assert seen == {"queued", "invalid", "ready", "committing", "committed"}


def test_results_of_a_year_reviewed_in_the_application_cannot_be_imported(app, world_a, storage, login_as):
    """Commune A runs its 2020 periodic review in the application: a file's 2020 results for its
    households are refused (they come from the round and its decision); 2019's still import."""
    from tests.factories import make_round

    make_round(world_a.commune_a, 2020)
    db.session.commit()
    before = snapshot()
    client = login_as(world_a.users.staff_a)
    batch = upload_and_parse(client, xlsx(valid_rows()))
    assert batch.status == "invalid"
    assert {(p["sheet"], p["column"], p["message"]) for p in batch.problems} == {
        (REVIEWS, "B", service.UNDER_REVIEW)  # the year column of the 2020 rows, and only them
    }
    assert {p["params"]["year"] for p in batch.problems} == {2020}
    assert snapshot() == before


def test_what_an_import_changes_is_in_each_records_history(app, world_a, storage, login_as):
    from app.models import AuditLog

    client = login_as(world_a.users.staff_a)
    batch = upload_and_parse(client, xlsx(valid_rows()))
    confirm(client, batch)
    run_jobs()
    new = db.session.scalars(select(Household).where(Household.code == "A-0100")).one()
    rows = db.session.scalars(
        select(AuditLog).where(AuditLog.object_type == "households", AuditLog.object_id == new.id)
    ).all()
    assert [(r.action, r.actor_id) for r in rows] == [("create", world_a.users.staff_a.id)]
    assert rows[0].changes["head_name"] == [None, "Nông Văn Pảo"]
    members = db.session.scalars(
        select(AuditLog).where(
            AuditLog.object_type == "members", AuditLog.object_id.in_([m.id for m in new.members])
        )
    ).all()
    assert len(members) == len(new.members)
    for row in members:  # citizen IDs are masked in the log
        shown = (row.changes.get("citizen_id") or [None, None])[1]
        assert shown is None or not shown.isdigit()
