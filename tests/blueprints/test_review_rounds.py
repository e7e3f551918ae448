"""Review rounds: opening, entries classified under the year's standard, overrides with a reason,
the procedure checklist gating recognition, preliminary and official records, and the figures'
years while a periodic review is under way."""

import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, ReviewEntry, ReviewRecord, ReviewRound
from app.services import stats
from tests.factories import make_household, reference_standard

PDF = b"%PDF-1.4\n% minutes\n"


@pytest.fixture
def today(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", date(2020, 12, 1))


def open_round(client, world, year=2020, round_type="periodic", month=0, unit=None):
    response = client.post_form(
        "/reviews/",
        {"unit": (unit or world.commune_a).id, "year": year, "round_type": round_type, "month": month},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def indicator_ids(standard_code: str, *codes: str) -> list[int]:
    standard = reference_standard(standard_code)
    return [i.id for i in standard.indicators if i.code in codes]


def record(client, round_id, household, income, deprivations=(), **extra):
    data = {"income": income, "deprivations": list(deprivations), **extra}
    return client.post_form(f"/reviews/{round_id}/households/{household.id}", data)


def entry_of(round_id, household):
    return db.session.scalars(
        select(ReviewEntry).where(ReviewEntry.round_id == round_id, ReviewEntry.household_id == household.id)
    ).one()


@pytest.mark.parametrize(
    ("year", "standard", "income", "codes", "result", "criterion"),
    [
        # QĐ 59/2015: income ≤ 700,000 → poor by income; in the band with ≥ 3 deprivations → poor
        # by deprivation; in the band with fewer → near-poor; above 1,000,000 → not poor
        (2020, "QD59-2015", "650.000", (), "poor", "income"),
        (2020, "QD59-2015", "900,000", ("LATRINE", "TELECOM", "HOUSING_AREA"), "poor", "deprivation"),
        (2020, "QD59-2015", "900000", ("LATRINE",), "near_poor", None),
        (2021, "QD59-2015", "1.200.000 đ", ("LATRINE", "TELECOM", "HOUSING_AREA"), "not_poor", None),
        # NĐ 07/2021: income ≤ 1,500,000 and ≥ 3 deprivations → poor, fewer → near-poor; up to
        # 2,250,000 → average living standard
        (2022, "ND07-2021", "1.400.000", ("EMPLOYMENT", "NUTRITION", "LATRINE"), "poor", None),
        (2024, "ND07-2021", "1.400.000", ("EMPLOYMENT",), "near_poor", None),
        (2026, "ND07-2021", "2.000.000", (), "average", None),
        # NĐ 351/2025 from 2027: the line is 2,200,000
        (2027, "ND351-2025", "2.100.000", ("EMPLOYMENT", "NUTRITION", "LATRINE"), "poor", None),
        (2030, "ND351-2025", "2.300.000", ("EMPLOYMENT", "NUTRITION", "LATRINE"), "not_poor", None),
    ],
)
def test_an_entry_is_classified_under_the_standard_of_its_year(
    world, login_as, today, year, standard, income, codes, result, criterion
):
    staff = login_as(world.users.staff_a)
    round_id = open_round(staff, world, year=year)
    row = db.session.get(ReviewRound, round_id)
    assert row.standard.code == standard
    response = record(staff, round_id, world.households.duc, income, indicator_ids(standard, *codes))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    entry = entry_of(round_id, world.households.duc)
    assert (entry.computed_result, entry.result, entry.criterion) == (result, result, criterion)
    assert sorted(i.code for i in entry.deprivations) == sorted(codes)


def test_a_year_without_a_standard_and_a_second_round_are_refused(world, login_as, today):
    staff = login_as(world.users.staff_a)
    response = staff.post_form(
        "/reviews/", {"unit": world.commune_a.id, "year": 2031, "round_type": "periodic"}
    )
    assert response.status_code == 422
    assert "Không có chuẩn nghèo" in response.get_data(as_text=True)
    open_round(staff, world)
    again = staff.post_form("/reviews/", {"unit": world.commune_a.id, "year": 2020, "round_type": "periodic"})
    assert again.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ReviewRound)) == 1


def test_a_commune_outside_the_scope_cannot_be_reviewed(world, login_as, today):
    staff_b = login_as(world.users.staff_b)
    response = staff_b.post_form(
        "/reviews/", {"unit": world.commune_a.id, "year": 2020, "round_type": "periodic"}
    )
    assert response.status_code == 422
    round_id = open_round(login_as(world.users.staff_a), world)
    assert staff_b.get(f"/reviews/{round_id}").status_code == 404
    assert staff_b.get(f"/reviews/{round_id}/households/{world.households.duc.id}").status_code == 404
    assert record(staff_b, round_id, world.households.duc, "500.000").status_code == 404


def test_supervisors_read_but_do_not_record(world, login_as, today):
    round_id = open_round(login_as(world.users.staff_a), world)
    supervisor = login_as(world.users.supervisor_a)
    assert supervisor.get(f"/reviews/{round_id}").status_code == 200
    assert record(supervisor, round_id, world.households.duc, "500.000").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 0


def test_bad_figures_are_refused_beside_their_field(world, login_as, today):
    staff = login_as(world.users.staff_a)
    round_id = open_round(staff, world)
    response = record(staff, round_id, world.households.duc, "bảy trăm nghìn")
    assert response.status_code == 422
    assert "Nhập số tiền bằng đồng" in response.get_data(as_text=True)
    foreign = indicator_ids("ND07-2021", "EMPLOYMENT")  # not an indicator of QĐ 59
    assert record(staff, round_id, world.households.duc, "500.000", foreign).status_code == 422
    outsider = make_household(world.village_b1, "Lò Văn Páo", code="B-0009")
    db.session.commit()
    assert record(staff, round_id, outsider, "500.000").status_code == 404  # not in the user's scope
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 0


def test_an_override_needs_a_written_reason_and_is_audited(world, login_as, today):
    staff = login_as(world.users.staff_a)
    round_id = open_round(staff, world)
    refused = record(staff, round_id, world.households.duc, "650.000", result="near_poor", reason="ngắn")
    assert refused.status_code == 422
    assert "lý do" in refused.get_data(as_text=True)
    reason = "Họp dân thôn Nà Pài thống nhất: hộ có thu nhập ổn định từ rừng trồng"
    assert (
        record(
            staff, round_id, world.households.duc, "650.000", result="near_poor", reason=reason
        ).status_code
        == 303
    )
    entry = entry_of(round_id, world.households.duc)
    assert (entry.computed_result, entry.result, entry.override_reason) == ("poor", "near_poor", reason)
    audited = db.session.scalars(select(AuditLog).where(AuditLog.action == "review.override")).all()
    assert len(audited) == 1 and audited[0].actor_id == world.users.staff_a.id
    # going back to the computed result clears the reason
    assert record(staff, round_id, world.households.duc, "650.000").status_code == 303
    db.session.expire_all()
    assert entry_of(round_id, world.households.duc).override_reason is None


def test_the_live_preview_shows_the_result_the_figures_give(world, login_as, today):
    staff = login_as(world.users.staff_a)
    round_id = open_round(staff, world)
    url = f"/reviews/{round_id}/households/{world.households.duc.id}/classify"
    poor = staff.post_form(url, {"income": "650.000"}, htmx=True).get_data(as_text=True)
    near = staff.post_form(url, {"income": "950.000"}, htmx=True).get_data(as_text=True)
    assert 'id="computed"' in poor and "Hộ nghèo" in poor and "Thu nhập" in poor
    assert "Hộ cận nghèo" in near
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 0


def complete_checklist(staff, round_id, world, *, agreeing=6):
    for village in (world.village_a1, world.village_a2):
        response = staff.post_form(
            f"/reviews/{round_id}/meetings/{village.id}",
            {"village": village.id, "held_on": "2020-10-05", "attendees": 12, "agreeing": agreeing},
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        for n in (1, 2):
            upload = {"file": (io.BytesIO(PDF), f"bien-ban-{n}.pdf")}
            response = staff.post_form(f"/reviews/{round_id}/meetings/{village.id}/minutes", upload)
            assert response.status_code == 303
    response = staff.post_form(
        f"/reviews/{round_id}/posting", {"posting_from": "2020-10-20", "posting_to": "2020-10-27"}
    )
    assert response.status_code == 303


def recognise(manager, round_id, number="125/QĐ-UBND", on="2020-11-30"):
    return manager.post_form(
        f"/reviews/{round_id}/recognise", {"decision_number": number, "decision_date": on}
    )


def test_official_results_wait_for_the_checklist_then_move_the_households(world, login_as, today):
    staff, manager = login_as(world.users.staff_a), login_as(world.users.manager)
    round_id = open_round(staff, world)
    duc, lan = world.households.duc, world.households.lan
    assert record(staff, round_id, duc, "1.500.000").status_code == 303  # 2019 poor → escapes
    assert record(staff, round_id, lan, "600.000").status_code == 303  # 2019 near-poor → poor
    response = staff.post_form(
        f"/reviews/{round_id}/requests", {"household": "A-0002", "received_on": "2020-09-10"}
    )
    assert response.status_code == 303

    assert recognise(manager, round_id).status_code == 422  # preliminary results first
    assert staff.post_form(f"/reviews/{round_id}/preliminary").status_code == 303
    preliminary = db.session.scalars(select(ReviewRecord).where(ReviewRecord.year == 2020)).all()
    assert {(r.household_id, r.kind, r.result) for r in preliminary} == {
        (duc.id, "preliminary", "not_poor"),
        (lan.id, "preliminary", "poor"),
    }

    page = recognise(manager, round_id)  # the checklist is not complete
    assert page.status_code == 422
    body = page.get_data(as_text=True)
    for missing in ("Mỗi thôn cần họp dân", "niêm yết công khai", "Mẫu số 01"):
        assert missing in body

    complete_checklist(staff, round_id, world, agreeing=5)  # 5 of 12: under half
    assert recognise(manager, round_id).status_code == 422
    complete_checklist(staff, round_id, world, agreeing=6)  # 6 of 12: half agrees
    assert recognise(manager, round_id).status_code == 422  # the request is still pending
    request_id = db.session.scalar(select(func.max(db.metadata.tables["review_requests"].c.id)))
    processed = staff.post_form(
        f"/reviews/{round_id}/requests/{request_id}", {"outcome": "reviewed", "processed_on": "2020-10-01"}
    )
    assert processed.status_code == 303

    assert recognise(login_as(world.users.staff_a), round_id).status_code == 403  # staff do not recognise
    assert recognise(manager, round_id, number=" ").status_code == 422
    assert recognise(manager, round_id, on="2020-10-25").status_code == 422  # before the posting ended
    assert recognise(manager, round_id, on="2021-01-05").status_code == 422  # outside the period
    assert recognise(manager, round_id).status_code == 303

    official = {
        r.household_id: r
        for r in db.session.scalars(
            select(ReviewRecord).where(ReviewRecord.year == 2020, ReviewRecord.kind == "official")
        )
    }
    assert (official[duc.id].result, official[duc.id].transition) == ("not_poor", "escaped_poverty")
    assert (official[lan.id].result, official[lan.id].transition) == ("poor", "near_poor_to_poor")
    assert official[lan.id].decision_number == "125/QĐ-UBND"
    db.session.refresh(duc)
    db.session.refresh(lan)
    assert (duc.status, duc.status_year) == ("escaped", 2020)
    assert (lan.status, lan.status_year) == ("poor", 2020)
    assert db.session.get(ReviewRound, round_id).stage == "official"
    # recognised: nothing can change any more
    assert record(staff, round_id, duc, "500.000").status_code == 422


def test_a_meeting_date_outside_the_period_and_impossible_counts_are_refused(world, login_as, today):
    staff = login_as(world.users.staff_a)
    round_id = open_round(staff, world)
    url = f"/reviews/{round_id}/meetings/{world.village_a1.id}"
    early = staff.post_form(
        url, {"village": world.village_a1.id, "held_on": "2020-06-01", "attendees": 10, "agreeing": 6}
    )
    assert early.status_code == 422 and "ngoài thời gian" in early.get_data(as_text=True)
    more = staff.post_form(
        url, {"village": world.village_a1.id, "held_on": "2020-10-01", "attendees": 10, "agreeing": 11}
    )
    assert more.status_code == 422

    def upload():
        return {"file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "bien-ban.pdf")}

    assert staff.post_form(f"{url}/minutes", upload()).status_code == 404  # no meeting yet
    assert (
        staff.post_form(
            url, {"village": world.village_a1.id, "held_on": "2020-10-01", "attendees": 10, "agreeing": 5}
        ).status_code
        == 303
    )
    refused = staff.post_form(f"{url}/minutes", upload())
    assert refused.status_code == 422 and "JPEG, PNG" in refused.get_data(as_text=True)


def test_the_district_keeps_its_last_complete_year_while_communes_are_reviewing(world, login_as, today):
    staff, manager = login_as(world.users.staff_a), login_as(world.users.manager)
    round_id = open_round(staff, world)
    for household in (world.households.duc, world.households.lan):
        assert record(staff, round_id, household, "1.500.000").status_code == 303
    staff.post_form(f"/reviews/{round_id}/preliminary")
    complete_checklist(staff, round_id, world)
    assert recognise(manager, round_id).status_code == 303
    # commune A finished; commune B has not reviewed 2020 yet → 2020 is not a complete year for the district
    open_round(login_as(world.users.staff_b), world, unit=world.commune_b)
    assert stats.official_years(world.users.manager) == [2019]
    assert stats.official_years(world.users.staff_a) == [2019, 2020]
    assert stats.official_years(world.users.manager, complete=False) == [2019, 2020]
    page = manager.get(f"/reviews/movements?unit={world.district.code}&from=2019&to=2020").get_data(
        as_text=True
    )
    assert "chưa được công nhận ở tất cả các xã" in page
    counts = dict(re.findall(r'data-kind="(\w+)">.*?<td class="num">(\d+)</td>', page, re.S))
    # only commune A (finished) is compared: Giàng Seo Pao of commune B, not yet reviewed, is left out
    assert counts["escaped_poverty"] == "1" and counts["escaped_near_poverty"] == "1"
    assert "Xã Cẩm Giàng Thử" in page and "Giàng Seo Pao" not in page


def test_the_new_standard_preview_lists_who_would_change_and_writes_nothing(world, login_as):
    manager = login_as(world.users.manager)
    before = db.session.scalar(select(func.count()).select_from(ReviewRecord))
    page = manager.get(f"/reviews/standard-preview?unit={world.district.code}&year=2022").get_data(
        as_text=True
    )
    # 2019 under QĐ 59: Đức poor by income at 600,000; Lan near-poor at 800,000; Pao poor by
    # deprivation at 900,000 (no deprivation recorded). Under NĐ 07 (line 1,500,000, ≥ 3
    # deprivations for poor): all three are near-poor — Lan keeps her status.
    assert "Nguyễn Văn Đức" in page and "Giàng Seo Pao" in page and "Hoàng Thị Lan" not in page
    assert "2 trong số 3 hộ sẽ thay đổi diện" in page
    assert db.session.scalar(select(func.count()).select_from(ReviewRecord)) == before


def test_the_rounds_page_lists_the_rounds_in_scope(world, login_as, today):
    staff = login_as(world.users.staff_a)
    open_round(staff, world)
    open_round(staff, world, round_type="regular", month=3)
    page = staff.get("/reviews/").get_data(as_text=True)
    assert page.count("Xã Cẩm Giàng Thử") >= 2 and "tháng 3" in page
    other = login_as(world.users.staff_b).get("/reviews/").get_data(as_text=True)
    assert "Chưa có đợt rà soát nào" in other


def test_the_round_exports_its_households_as_filtered(world, login_as, today):
    staff = login_as(world.users.staff_a)
    round_id = open_round(staff, world)
    reason = '=HYPERLINK("http://x") họp dân thống nhất điều chỉnh'
    assert (
        record(
            staff, round_id, world.households.duc, "650.000", result="near_poor", reason=reason
        ).status_code
        == 303
    )
    response = staff.get(f"/reviews/{round_id}/export?format=csv&state=done")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    lines = text.strip().split("\r\n")
    assert len(lines) == 2  # the header and Đức: Lan has no entry and is filtered out
    assert "A-0001" in lines[1] and "Hộ nghèo" in lines[1] and "Hộ cận nghèo" in lines[1]
    assert "'=HYPERLINK" in lines[1]  # neutralised
    every = staff.get(f"/reviews/{round_id}/export?format=xlsx")
    assert every.status_code == 200 and every.data[:2] == b"PK"
    assert login_as(world.users.staff_b).get(f"/reviews/{round_id}/export?format=csv").status_code == 404


def test_decimal_or_absurd_incomes_are_refused_not_misread(world, login_as, today):
    staff = login_as(world.users.staff_a)
    round_id = open_round(staff, world)
    for typed in ("650000.00", "650.000,00", "1" * 20, "-5"):
        response = record(staff, round_id, world.households.duc, typed)
        assert response.status_code == 422, typed
    assert db.session.scalar(select(func.count()).select_from(ReviewEntry)) == 0


def test_an_override_to_poor_keeps_the_criteria_adding_up(world, login_as, today):
    staff = login_as(world.users.staff_a)
    round_id = open_round(staff, world)
    reason = "Họp dân thôn thống nhất: hộ mất nguồn thu từ rừng trồng sau lũ"
    assert (
        record(staff, round_id, world.households.duc, "950.000", result="poor", reason=reason).status_code
        == 303
    )
    assert entry_of(round_id, world.households.duc).criterion == "deprivation"  # above the poor line
    assert (
        record(staff, round_id, world.households.lan, "1.500.000", result="poor", reason=reason).status_code
        == 303
    )
    assert entry_of(round_id, world.households.lan).criterion == "deprivation"


def test_the_entry_page_is_only_for_the_rounds_households(world, login_as, today):
    round_id = open_round(login_as(world.users.staff_a), world)
    district_staff = login_as(world.users.staff)
    pao = world.households.pao  # commune B
    assert district_staff.get(f"/reviews/{round_id}/households/{pao.id}").status_code == 404
    assert record(district_staff, round_id, pao, "500.000").status_code == 404


def test_a_periodic_review_needs_every_household_before_recognition(world, login_as, today):
    staff, manager = login_as(world.users.staff_a), login_as(world.users.manager)
    round_id = open_round(staff, world)
    assert record(staff, round_id, world.households.duc, "1.500.000").status_code == 303  # Lan not recorded
    staff.post_form(f"/reviews/{round_id}/preliminary")
    complete_checklist(staff, round_id, world)
    refused = recognise(manager, round_id)
    assert refused.status_code == 422
    assert "còn hộ chưa được ghi nhận" in refused.get_data(as_text=True)
    assert record(staff, round_id, world.households.lan, "1.500.000").status_code == 303
    assert recognise(manager, round_id).status_code == 303
    assert recognise(manager, round_id, number="126/QĐ-UBND").status_code == 422  # once only
    assert {r.decision_number for r in db.session.scalars(select(ReviewRecord))} == {None, "125/QĐ-UBND"}


def test_a_regular_review_alone_does_not_make_a_year(world, login_as, today):
    staff, manager = login_as(world.users.staff_a), login_as(world.users.manager)
    round_id = open_round(staff, world, round_type="regular", month=10)
    assert record(staff, round_id, world.households.duc, "1.500.000").status_code == 303
    staff.post_form(f"/reviews/{round_id}/preliminary")
    for village in (world.village_a1,):  # a regular review meets where it reviewed
        staff.post_form(
            f"/reviews/{round_id}/meetings/{village.id}",
            {"village": village.id, "held_on": "2020-10-20", "attendees": 9, "agreeing": 9},
        )
        for n in (1, 2):
            staff.post_form(
                f"/reviews/{round_id}/meetings/{village.id}/minutes",
                {"file": (io.BytesIO(PDF), f"bien-ban-{n}.pdf")},
            )
    staff.post_form(
        f"/reviews/{round_id}/posting", {"posting_from": "2020-10-21", "posting_to": "2020-10-28"}
    )
    assert recognise(manager, round_id, on="2020-11-02").status_code == 303
    # one household's regular review: 2020 is not a year of figures for the district or commune A
    assert stats.official_years(world.users.manager) == [2019]
    assert stats.official_years(world.users.staff_a) == [2019]
    assert stats.unfinished_years(world.users.manager) == {2020}


def test_a_date_after_the_real_today_is_refused(world, login_as, app, monkeypatch):
    tomorrow = date.today() + timedelta(days=1)
    monkeypatch.setitem(app.config, "TODAY", tomorrow)
    staff = login_as(world.users.staff_a)
    round_id = open_round(staff, world, year=tomorrow.year, round_type="regular", month=tomorrow.month)
    url = f"/reviews/{round_id}/meetings/{world.village_a1.id}"
    data = {"village": world.village_a1.id, "held_on": tomorrow.isoformat(), "attendees": 10, "agreeing": 6}
    refused = staff.post_form(url, data)
    assert refused.status_code == 422 and "tương lai" in refused.get_data(as_text=True)
