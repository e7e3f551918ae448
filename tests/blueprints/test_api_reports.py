"""The reports part of the JSON API: /reports, /reports/<id> and /compliance, scoped, in the
OpenAPI document."""

from datetime import date, datetime
from types import SimpleNamespace

import pytest

from app.extensions import db as _db
from app.services import report_generation
from tests.factories import make_report, make_unit, report_definition

#: the app's "today" in these tests: the March 2020 reports are due on the 18th
TODAY = date(2020, 3, 25)


@pytest.fixture(autouse=True)
def today(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", TODAY)


@pytest.fixture
def filed(world):
    """Commune A: March submitted on time, February approved though submitted late; commune B:
    March never submitted; the district: its first-quarter programme report, scheduled."""
    found = SimpleNamespace(
        a_march=make_report(
            world.commune_a,
            period="2020-03",
            status="submitted",
            first_submitted_at=datetime(2020, 3, 17, 2, 30, 15),
            submitted_at=datetime(2020, 3, 17, 2, 30, 15),
            submitted_by_id=world.users.staff_a.id,
        ),
        a_feb=make_report(
            world.commune_a,
            period="2020-02",
            status="approved",
            first_submitted_at=datetime(2020, 2, 20, 3, 0),
            submitted_at=datetime(2020, 2, 20, 3, 0),
            decided_at=datetime(2020, 2, 21, 9, 15),
        ),
        b_march=make_report(world.commune_b, period="2020-03", status="draft"),
        district_q1=make_report(
            world.district, "programme_quarterly", "2020-Q1", status="scheduled", versions=0
        ),
    )
    _db.session.commit()
    return found


@pytest.fixture
def definitions(world):
    """The seeded report definitions, without any report."""
    report_definition()
    _db.session.commit()


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


# -- /reports ---------------------------------------------------------------------------------------


def test_reports_listing_shape_and_order(world, filed, login_as):
    response = login_as(world.users.manager).get("/api/v1/reports")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"items", "total", "page", "per_page"}
    assert (body["total"], body["page"], body["per_page"]) == (4, 1, 25)
    f = filed
    # latest cut-off first (March's monthly and first quarter's both stop on 14 March), then
    # by definition and unit
    assert [i["id"] for i in body["items"]] == [f.a_march.id, f.b_march.id, f.district_q1.id, f.a_feb.id]
    assert body["items"][0] == {
        "id": f.a_march.id,
        "definition": "task_progress_monthly",
        "definition_name": f.a_march.definition.name,
        "period": "2020-03",
        "unit": "99901",
        "unit_name": "Xã Cẩm Giàng Thử",
        "receiving_unit": "999",
        "cut_off": "2020-03-14",
        "deadline": "2020-03-18",
        "status": "submitted",
        "version": 1,
        "submitted_at": "2020-03-17T02:30:15Z",
        "first_submitted_at": "2020-03-17T02:30:15Z",
        "decided_at": None,
        "on_time": True,
        "timeliness": "on_time",
    }
    b, district, feb = body["items"][1:]
    assert (b["on_time"], b["timeliness"], b["submitted_at"]) == (None, "missing", None)
    assert (district["definition"], district["unit"], district["receiving_unit"]) == (
        "programme_quarterly",
        "999",
        "99",
    )
    assert (district["version"], district["deadline"]) == (0, "2020-03-20")
    assert (feb["on_time"], feb["timeliness"], feb["decided_at"]) == (
        False,
        "approved",
        "2020-02-21T09:15:00Z",
    )


def test_reports_timeliness_follows_the_app_today(world, filed, app, login_as):
    client = login_as(world.users.manager)
    app.config["TODAY"] = date(2020, 3, 18)  # the deadline day itself: not missing yet
    item = client.get(f"/api/v1/reports/{filed.b_march.id}").get_json()
    assert item["timeliness"] == "pending"
    app.config["TODAY"] = date(2020, 3, 19)
    assert client.get(f"/api/v1/reports/{filed.b_march.id}").get_json()["timeliness"] == "missing"


def test_reports_filters(world, filed, login_as):
    client = login_as(world.users.manager)
    f = filed
    assert _ids(client.get("/api/v1/reports?definition=programme_quarterly")) == [f.district_q1.id]
    assert _ids(client.get("/api/v1/reports?definition=task_progress_monthly")) == [
        f.a_march.id,
        f.b_march.id,
        f.a_feb.id,
    ]
    assert _ids(client.get("/api/v1/reports?period=2020-02")) == [f.a_feb.id]
    assert _ids(client.get("/api/v1/reports?period=2020-Q1")) == [f.district_q1.id]
    assert _ids(client.get("/api/v1/reports?unit=99902")) == [f.b_march.id]
    assert _ids(client.get("/api/v1/reports?unit=99901")) == [f.a_march.id, f.a_feb.id]
    assert _ids(client.get("/api/v1/reports?unit=999")) == [f.district_q1.id]  # its own, not its communes'
    assert _ids(client.get("/api/v1/reports?status=approved")) == [f.a_feb.id]
    assert _ids(client.get("/api/v1/reports?status=draft")) == [f.b_march.id]
    assert _ids(client.get("/api/v1/reports?definition=task_progress_monthly&period=2020-03")) == [
        f.a_march.id,
        f.b_march.id,
    ]
    assert _ids(client.get("/api/v1/reports?unit=99901&period=2020-03&status=submitted")) == [f.a_march.id]
    assert _ids(client.get("/api/v1/reports?unit=99901&status=draft")) == []
    assert _ids(client.get("/api/v1/reports?definition=&period=&unit=&status=")) == _ids(
        client.get("/api/v1/reports")
    )


def test_reports_pagination(world, filed, login_as):
    client = login_as(world.users.manager)
    f = filed
    second = client.get("/api/v1/reports?per_page=1&page=2").get_json()
    assert (second["total"], second["page"], second["per_page"]) == (4, 2, 1)
    assert [i["id"] for i in second["items"]] == [f.b_march.id]
    beyond = client.get("/api/v1/reports?per_page=3&page=9").get_json()  # clamped to the last page
    assert (beyond["page"], [i["id"] for i in beyond["items"]]) == (2, [f.a_feb.id])
    assert client.get("/api/v1/reports?per_page=500").get_json()["per_page"] == 100
    assert client.get("/api/v1/reports?page=0").get_json()["page"] == 1
    assert client.get("/api/v1/reports?definition=review_official").get_json() == {
        "items": [],
        "total": 0,
        "page": 1,
        "per_page": 25,
    }


def test_reports_are_scoped(world, filed, login_as):
    f = filed
    commune_a = login_as(world.users.staff_a)
    assert _ids(commune_a.get("/api/v1/reports")) == [f.a_march.id, f.a_feb.id]
    assert _ids(commune_a.get("/api/v1/reports?definition=programme_quarterly")) == []
    assert commune_a.get("/api/v1/reports?unit=99902").status_code == 404
    assert commune_a.get("/api/v1/reports?unit=999").status_code == 404
    assert commune_a.get("/api/v1/reports?unit=00000").status_code == 404
    for outside in (f.b_march, f.district_q1):
        response = commune_a.get(f"/api/v1/reports/{outside.id}")
        assert response.status_code == 404
        assert response.is_json
    assert commune_a.get(f"/api/v1/reports/{f.a_march.id}").status_code == 200
    assert _ids(login_as(world.users.staff_b).get("/api/v1/reports")) == [f.b_march.id]


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("status=done", "status"),
        ("status=DRAFT", "status"),
        ("definition=nope", "definition"),
        ("period=2020-3", "period"),
        ("period=2020-Q5", "period"),
        ("period=soon", "period"),
        ("definition=task_progress_monthly&period=2020-Q1", "period"),
        ("definition=programme_quarterly&period=2020-03", "period"),
        ("page=abc", None),
        ("per_page=", None),
    ],
)
def test_reports_bad_arguments_answer_400(world, definitions, login_as, query, word):
    response = login_as(world.users.manager).get(f"/api/v1/reports?{query}")
    assert response.status_code == 400
    assert response.is_json
    error = response.get_json()["error"]
    if word:
        assert word in error


def test_unknown_report_is_a_json_404(world, login_as):
    response = login_as(world.users.admin).get("/api/v1/reports/987654")
    assert response.status_code == 404
    assert response.is_json


# -- /reports/<id> ----------------------------------------------------------------------------------


@pytest.fixture
def resubmitted(world):
    """Commune A's March report: version 1 submitted and returned, version 2 submitted again."""
    report = make_report(
        world.commune_a,
        period="2020-03",
        status="submitted",
        versions=2,
        commentary="Đã bổ sung số liệu nhiệm vụ quá hạn",
        first_submitted_at=datetime(2020, 3, 18, 16, 59),  # 23:59 in Vietnam: still on time
        submitted_at=datetime(2020, 3, 20, 1, 0),
    )
    first, second = report.versions
    first.submitted_at, first.decision = datetime(2020, 3, 18, 16, 59), "returned"
    first.decision_comment = "Thiếu số liệu nhiệm vụ quá hạn"
    first.pdf_sha256 = "a" * 64
    second.submitted_at = datetime(2020, 3, 20, 1, 0)
    _db.session.commit()
    return report


def test_report_detail_has_versions_with_absolute_file_urls(world, resubmitted, app, login_as):
    response = login_as(world.users.staff_a).get(f"/api/v1/reports/{resubmitted.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["status"], body["version"]) == (resubmitted.id, "submitted", 2)
    assert (body["on_time"], body["timeliness"]) == (True, "on_time")
    assert body["first_submitted_at"] == "2020-03-18T16:59:00Z"
    assert body["submitted_at"] == "2020-03-20T01:00:00Z"
    assert body["commentary"] == "Đã bổ sung số liệu nhiệm vụ quá hạn"
    assert body["decision_comment"] is None
    first, second = body["versions"]
    rid = resubmitted.id
    assert first == {
        "number": 1,
        "generated_at": first["generated_at"],
        "pdf_url": f"http://localhost/reports/{rid}/versions/1/pdf",
        "xlsx_url": f"http://localhost/reports/{rid}/versions/1/xlsx",
        "pdf_sha256": "a" * 64,
        "submitted_at": "2020-03-18T16:59:00Z",
        "decision": "returned",
        "decision_comment": "Thiếu số liệu nhiệm vụ quá hạn",
    }
    assert first["generated_at"].endswith("Z")
    datetime.fromisoformat(first["generated_at"].removesuffix("Z"))
    assert (second["number"], second["decision"], second["submitted_at"]) == (2, None, "2020-03-20T01:00:00Z")
    assert second["pdf_url"] == f"http://localhost/reports/{rid}/versions/2/pdf"
    adapter = app.url_map.bind("localhost")
    assert adapter.match(f"/reports/{rid}/versions/2/pdf") == (
        "reports.download",
        {"report_id": rid, "number": 2, "kind": "pdf"},
    )


def test_report_pdf_url_serves_the_version_file(world, resubmitted, app, login_as, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path))
    (report_generation.storage_dir() / resubmitted.versions[1].pdf_name).write_bytes(b"%PDF-1.7 v2")
    client = login_as(world.users.staff_a)
    url = client.get(f"/api/v1/reports/{resubmitted.id}").get_json()["versions"][1]["pdf_url"]
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.data == b"%PDF-1.7 v2"


def test_a_submission_after_the_deadline_day_in_vietnam_is_late(world, login_as):
    """17:00 UTC on the deadline day is already the next day in Vietnam."""
    report = make_report(
        world.commune_a,
        status="submitted",
        first_submitted_at=datetime(2020, 3, 18, 17, 0),
        submitted_at=datetime(2020, 3, 18, 17, 0),
    )
    _db.session.commit()
    body = login_as(world.users.staff_a).get(f"/api/v1/reports/{report.id}").get_json()
    assert (body["deadline"], body["on_time"], body["timeliness"]) == ("2020-03-18", False, "late")


# -- /compliance ------------------------------------------------------------------------------------


@pytest.fixture
def march(world):
    """task_progress_monthly for March 2020, due 18 March (today is the 25th): commune A on time,
    commune B late, commune C missing (never submitted), commune D pending (its deadline, moved to
    the 27th, not yet passed); besides, commune A's February and the district's quarterly one."""
    commune_c = make_unit("99903", "Xã Thử Ba", "commune", world.district)
    commune_d = make_unit("99904", "Xã Thử Tư", "commune", world.district)
    found = SimpleNamespace(
        on_time=make_report(
            world.commune_a,
            period="2020-03",
            status="submitted",
            first_submitted_at=datetime(2020, 3, 18, 16, 0),  # 23:00 in Vietnam
            submitted_at=datetime(2020, 3, 18, 16, 0),
        ),
        late=make_report(
            world.commune_b,
            period="2020-03",
            status="submitted",
            first_submitted_at=datetime(2020, 3, 18, 17, 30),  # 00:30 on the 19th in Vietnam
            submitted_at=datetime(2020, 3, 18, 17, 30),
        ),
        missing=make_report(commune_c, period="2020-03", status="draft"),
        pending=make_report(commune_d, period="2020-03", status="draft", deadline=date(2020, 3, 27)),
        february=make_report(world.commune_a, period="2020-02", status="draft"),
        quarterly=make_report(world.district, "programme_quarterly", "2020-Q1", status="draft"),
    )
    _db.session.commit()
    return found


def test_compliance_of_one_period(world, march, login_as):
    response = login_as(world.users.manager).get(
        "/api/v1/compliance?definition=task_progress_monthly&period=2020-03"
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "definition": "task_progress_monthly",
        "period": "2020-03",
        "expected": 3,
        "submitted": 2,
        "on_time": 1,
        "reporting_rate": 66.7,
        "on_time_rate": 33.3,
        "units": [
            {
                "unit": "99901",
                "name": "Xã Cẩm Giàng Thử",
                "state": "on_time",
                "deadline": "2020-03-18",
                "first_submitted_at": "2020-03-18T16:00:00Z",
                "on_time": True,
                "report_id": march.on_time.id,
            },
            {
                "unit": "99902",
                "name": "Xã Quang Thuận Thử",
                "state": "late",
                "deadline": "2020-03-18",
                "first_submitted_at": "2020-03-18T17:30:00Z",
                "on_time": False,
                "report_id": march.late.id,
            },
            {
                "unit": "99903",
                "name": "Xã Thử Ba",
                "state": "missing",
                "deadline": "2020-03-18",
                "first_submitted_at": None,
                "on_time": None,
                "report_id": march.missing.id,
            },
            {
                "unit": "99904",
                "name": "Xã Thử Tư",
                "state": "pending",
                "deadline": "2020-03-27",
                "first_submitted_at": None,
                "on_time": None,
                "report_id": march.pending.id,
            },
        ],
    }
    raw = response.get_data(as_text=True)
    assert '"reporting_rate":66.7' in raw.replace(" ", "")  # a number, not a string


def test_compliance_once_the_pending_deadline_has_passed(world, march, app, login_as):
    app.config["TODAY"] = date(2020, 3, 30)
    body = (
        login_as(world.users.manager)
        .get("/api/v1/compliance?definition=task_progress_monthly&period=2020-03")
        .get_json()
    )
    assert (body["expected"], body["submitted"], body["on_time"]) == (4, 2, 1)
    assert (body["reporting_rate"], body["on_time_rate"]) == (50.0, 25.0)
    assert [u["state"] for u in body["units"]] == ["on_time", "late", "missing", "missing"]


def test_compliance_approved_and_returned_reports_count_by_their_first_submission(world, march, login_as):
    march.on_time.status = "approved"
    march.late.status = "returned"
    _db.session.commit()
    body = (
        login_as(world.users.manager)
        .get("/api/v1/compliance?definition=task_progress_monthly&period=2020-03")
        .get_json()
    )
    assert (body["expected"], body["submitted"], body["on_time"]) == (3, 2, 1)
    assert [(u["state"], u["on_time"]) for u in body["units"][:2]] == [
        ("approved", True),
        ("returned", False),
    ]


def test_compliance_is_scoped(world, march, login_as):
    url = "/api/v1/compliance?definition=task_progress_monthly&period=2020-03"
    commune_a = login_as(world.users.staff_a).get(url).get_json()
    assert [u["unit"] for u in commune_a["units"]] == ["99901"]
    assert (commune_a["expected"], commune_a["reporting_rate"], commune_a["on_time_rate"]) == (
        1,
        100.0,
        100.0,
    )
    commune_b = login_as(world.users.staff_b).get(url).get_json()
    assert [u["unit"] for u in commune_b["units"]] == ["99902"]
    assert (commune_b["expected"], commune_b["reporting_rate"]) == (1, 100.0)
    assert commune_b["on_time_rate"] == 0.0
    quarterly = login_as(world.users.staff_a).get(
        "/api/v1/compliance?definition=programme_quarterly&period=2020-Q1"
    )
    assert quarterly.get_json()["units"] == []


def test_compliance_with_nothing_expected_has_no_rates(world, march, login_as):
    client = login_as(world.users.manager)
    body = client.get("/api/v1/compliance?definition=task_progress_monthly&period=2020-04").get_json()
    assert body == {
        "definition": "task_progress_monthly",
        "period": "2020-04",
        "expected": 0,
        "submitted": 0,
        "on_time": 0,
        "reporting_rate": None,
        "on_time_rate": None,
        "units": [],
    }
    quarter = client.get("/api/v1/compliance?definition=programme_quarterly&period=2020-Q1").get_json()
    assert [u["unit"] for u in quarter["units"]] == ["999"]
    assert (quarter["expected"], quarter["reporting_rate"]) == (1, 0.0)  # due 20 March, not submitted


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("period=2020-03", "definition"),
        ("definition=&period=2020-03", "definition"),
        ("definition=nope&period=2020-03", "definition"),
        ("definition=task_progress_monthly", "period"),
        ("definition=task_progress_monthly&period=", "period"),
        ("definition=task_progress_monthly&period=2020-3", "period"),
        ("definition=task_progress_monthly&period=2020-13", "period"),
        ("definition=task_progress_monthly&period=2020-Q1", "period"),
        ("definition=programme_quarterly&period=2020-03", "period"),
        ("definition=review_official&period=2020-H1", "period"),
    ],
)
def test_compliance_bad_arguments_answer_400(world, definitions, login_as, query, word):
    response = login_as(world.users.manager).get(f"/api/v1/compliance?{query}")
    assert response.status_code == 400
    assert response.is_json
    assert word in response.get_json()["error"]


# -- login and the OpenAPI document -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports",
        "/api/v1/reports/1",
        "/api/v1/compliance?definition=task_progress_monthly&period=2020-03",
    ],
)
def test_reports_api_requires_login(world, client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.get_json() == {"error": "authentication required"}


def test_openapi_report_schemas_match_answers(world, march, login_as):
    client = login_as(world.users.manager)
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    report = schemas["Report"]
    for item in client.get("/api/v1/reports").get_json()["items"]:
        assert set(item) == set(report["required"]) == set(report["properties"])
        assert item["status"] in report["properties"]["status"]["enum"]
        assert item["timeliness"] in report["properties"]["timeliness"]["enum"]
    detail = client.get(f"/api/v1/reports/{march.late.id}").get_json()
    extra = document["paths"]["/reports/{report_id}"]["get"]["responses"]["200"]["content"]
    extra = extra["application/json"]["schema"]["allOf"][1]
    assert set(detail) == set(report["properties"]) | set(extra["properties"])
    for version in detail["versions"]:
        assert (
            set(version)
            == set(schemas["ReportVersion"]["required"])
            == set(schemas["ReportVersion"]["properties"])
        )
    body = client.get("/api/v1/compliance?definition=task_progress_monthly&period=2020-03").get_json()
    assert set(body) == set(schemas["Compliance"]["required"]) == set(schemas["Compliance"]["properties"])
    for unit in body["units"]:
        assert set(unit) == set(schemas["ComplianceUnit"]["properties"])
        assert unit["state"] in schemas["ComplianceUnit"]["properties"]["state"]["enum"]
    compliance_params = document["paths"]["/compliance"]["get"]["parameters"]
    assert {p["name"] for p in compliance_params if p["required"]} == {"definition", "period"}
