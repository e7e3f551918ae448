"""The demo district reproduces the March 2020 article exactly (DOMAIN.md §1, PRODUCT.md §6)."""

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AdminUnit,
    Household,
    Organisation,
    PovertyStandard,
    ReviewRecord,
    User,
    review_deprivations,
)
from app.services import demo, scope, stats
from app.services.classification import Lines, classify

pytestmark = pytest.mark.demo


@pytest.fixture
def demo_ctx(demo_app):
    with demo_app.app_context():
        yield
        db.session.remove()


def _user(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def _district_stats(year: int, kind: str = "official"):
    rows = db.session.execute(
        select(ReviewRecord.result, ReviewRecord.criterion, ReviewRecord.area, func.count())
        .where(ReviewRecord.year == year, ReviewRecord.kind == kind)
        .group_by(ReviewRecord.result, ReviewRecord.criterion, ReviewRecord.area)
    ).all()
    return {(r, c, a): n for r, c, a, n in rows}


def test_2019_official_review_gives_the_article_figures(demo_ctx):
    manager = _user("manager")
    district = scope.unit_in_scope_or_404(manager, "063", 2019)
    s = stats.household_stats(manager, district, 2019)
    assert (s.households, s.poor, s.near_poor) == (8575, 1486, 866)
    assert (s.poor_by_income, s.poor_by_income_urban, s.poor_by_income_rural) == (1400, 30, 1370)
    assert s.poor_by_deprivation == 86
    assert str(s.poor_rate) == "17.33"
    assert str(s.near_poor_rate) == "10.10"
    assert str(s.income_share) == "94.21"


def test_2018_rates_and_the_change_to_2019(demo_ctx):
    manager = _user("manager")
    district = scope.unit_in_scope_or_404(manager, "063", 2018)
    before = stats.household_stats(manager, district, 2018)
    after = stats.household_stats(manager, district, 2019)
    assert (str(before.poor_rate), str(before.near_poor_rate)) == ("19.77", "11.67")
    assert str(after.poor_rate - before.poor_rate) == "-2.44"
    assert str(after.near_poor_rate - before.near_poor_rate) == "-1.57"


def test_2019_preliminary_differs_from_official_as_in_bac_kan(demo_ctx):
    counts = _district_stats(2019, "preliminary")
    poor = sum(n for (result, _, _), n in counts.items() if result == "poor")
    assert round(poor * 100 / 8575, 2) == 17.46


def test_every_record_classifies_to_the_result_it_records(demo_ctx):
    standards = {s.id: Lines.of(s) for s in db.session.scalars(select(PovertyStandard))}
    deprived = dict(
        db.session.execute(
            select(review_deprivations.c.review_id, func.count()).group_by(review_deprivations.c.review_id)
        ).all()
    )
    rows = db.session.execute(
        select(
            ReviewRecord.id,
            ReviewRecord.standard_id,
            ReviewRecord.area,
            ReviewRecord.income_per_month,
            ReviewRecord.result,
            ReviewRecord.criterion,
            ReviewRecord.score_b,
        )
    ).all()
    assert len(rows) == 3 * 8575
    for rid, standard_id, area, income, result, criterion, score_b in rows:
        verdict = classify(standards[standard_id], area, income, deprived.get(rid, 0))
        assert (verdict.result, verdict.criterion) == (result, criterion), rid
        assert score_b == 10 * deprived.get(rid, 0)


def test_household_status_mirrors_the_latest_official_review(demo_ctx):
    counts = Counter(db.session.scalars(select(Household.status)))
    assert counts["poor"] == 1486 and counts["near_poor"] == 866
    income = db.session.scalar(
        select(func.count()).where(Household.status == "poor", Household.status_criterion == "income")
    )
    assert income == 1400


def test_commune_rates_vary_and_the_town_is_lowest(demo_ctx):
    manager = _user("manager")
    index = scope.unit_index()
    communes = [
        u for u in index.units.values() if u.kind in ("town", "commune") and u.is_valid_on(date(2019, 12, 31))
    ]
    assert len(communes) == 17
    rates = {u.name: stats.household_stats(manager, u, 2019).poor_rate for u in communes}
    assert min(rates, key=rates.get) == "Thị trấn Phủ Thông"
    assert max(rates.values()) - min(rates.values()) > 15


def test_units_merges_and_villages(demo_ctx):
    index = scope.unit_index()
    current = [
        u for u in index.units.values() if u.kind in ("town", "commune") and u.is_valid_on(date(2020, 3, 20))
    ]
    assert len(current) == 14
    for commune in current:
        villages = [index.units[i] for i in index.children[commune.id] if index.units[i].kind == "village"]
        assert len([v for v in villages if v.is_valid_on(date(2020, 3, 20))]) >= 3, commune.name
    tan_tien = index.resolve("01993", 2019)
    tan_tu = index.resolve("01993", 2020)
    assert (tan_tien.name, tan_tu.name) == ("Xã Tân Tiến", "Xã Tân Tú")
    assert tan_tien.successor_id == tan_tu.id
    assert index.resolve("01987").successor_id == tan_tu.id


def test_organisations_and_users(demo_ctx):
    names = set(db.session.scalars(select(Organisation.name)))
    for expected in (
        "Phòng Lao động - Thương binh và Xã hội huyện Bạch Thông",
        "Ngân hàng Chính sách xã hội huyện Bạch Thông",
        "Hội Liên hiệp Phụ nữ huyện Bạch Thông",
        "Ủy ban nhân dân Xã Cẩm Giàng",
    ):
        assert expected in names
    roles = {u.username: (u.role, u.scope_unit.name) for u in db.session.scalars(select(User))}
    assert roles["admin"] == ("admin", "Huyện Bạch Thông")
    assert roles["manager"] == ("manager", "Huyện Bạch Thông")
    assert roles["staff"] == ("staff", "Huyện Bạch Thông")
    assert roles["staff.camgiang"] == ("staff", "Xã Cẩm Giàng")
    assert roles["supervisor.camgiang"] == ("supervisor", "Xã Cẩm Giàng")
    assert roles["staff.quangthuan"] == ("staff", "Xã Quang Thuận")
    assert roles["supervisor.quangthuan"] == ("supervisor", "Xã Quang Thuận")
    assert _user("manager").check_password(demo.demo_password())


def test_people_are_realistic(demo_ctx):
    ethnicities = Counter(db.session.scalars(select(Household.ethnicity)))
    assert {"Tày", "Nùng", "Dao", "Kinh", "H'Mông"} <= set(ethnicities)
    assert ethnicities.most_common(1)[0][0] == "Tày"
    members = db.session.scalar(select(func.count()).select_from(db.metadata.tables["members"]))
    assert 30_000 < members < 40_000


def test_a_second_run_changes_nothing(demo_ctx):
    def snapshot():
        return {
            t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables
        } | {"statuses": sorted(Counter(db.session.scalars(select(Household.status))).items())}

    before = snapshot()
    demo.build_demo()
    db.session.commit()
    assert snapshot() == before


def test_manager_sees_the_article_figures_on_home_and_api(demo_client):
    client = demo_client("manager")
    body = client.get("/api/v1/stats?year=2019").get_json()
    assert body["households"] == 8575 and body["poor"] == 1486 and body["near_poor"] == 866
    assert body["poor_rate"] == 17.33 and body["near_poor_rate"] == 10.1
    assert (body["poor_by_income"], body["poor_by_income_urban"], body["poor_by_income_rural"]) == (
        1400,
        30,
        1370,
    )
    home = client.get("/").get_data(as_text=True)
    for figure in (
        'data-figure="households">8.575<',
        'data-figure="poor">1.486<',
        'data-figure="poor_rate">17,33 %<',
        'data-figure="near_poor">866<',
        'data-figure="near_poor_rate">10,10 %<',
    ):
        assert figure in home


def test_camgiang_staff_sees_only_cam_giang(demo_client, demo_app):
    client = demo_client("staff.camgiang")
    units = client.get("/api/v1/units").get_json()["items"]
    names = {u["name"] for u in units if u["kind"] in ("town", "commune", "district", "province")}
    assert names == {"Xã Cẩm Giàng"}
    body = client.get("/api/v1/stats?year=2019").get_json()
    listed = client.get("/api/v1/households?per_page=1").get_json()["total"]
    with demo_app.app_context():
        expected = db.session.scalar(
            select(func.count(Household.id))
            .join(AdminUnit, Household.unit_id == AdminUnit.id)
            .where(AdminUnit.parent_id == scope.unit_index().resolve("02008", 2020).id)
        )
    assert listed == expected == body["households"]
    assert client.get("/api/v1/stats?unit=063&year=2019").status_code == 404
