"""GET /api/v1/movements: every household poor or near-poor in either year in exactly one kind."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ReviewRecord
from tests.factories import make_household, make_review

KINDS = (
    "continuing_poor",
    "continuing_near_poor",
    "poor_to_near_poor",
    "near_poor_to_poor",
    "escaped_poverty",
    "escaped_near_poverty",
    "newly_poor",
    "fallen_back",
    "newly_near_poor",
)


@pytest.fixture
def histories(world):
    """Official results by year (the world's three households are reviewed in 2019 already): one
    household of each kind between 2019 and 2020, and an old poor one that falls back."""
    reviewed = {
        world.households.duc: {2018: "poor", 2020: "not_poor"},  # 2019 poor → escaped poverty
        world.households.lan: {2018: "not_poor", 2020: "poor"},  # 2019 near-poor → near-poor to poor
        world.households.pao: {2018: "poor", 2020: "near_poor"},  # 2019 poor → poor to near-poor
    }
    a1, b1 = world.village_a1, world.village_b1
    more = {
        "Lý Thị Hoa": (a1, {2017: "poor", 2019: "not_poor", 2020: "poor"}),  # fallen back
        "Lương Văn Minh": (b1, {2020: "poor"}),  # newly poor (not reviewed before)
        "Hoàng Văn Tuấn": (a1, {2019: "near_poor", 2020: "near_poor"}),  # continuing near-poor
        "Nông Thị Mai": (b1, {2019: "near_poor", 2020: "average"}),  # escaped near-poverty
        "Triệu Văn Sơn": (a1, {2019: "not_poor", 2020: "near_poor"}),  # newly near-poor
        "Đàm Văn Khoa": (b1, {2019: "poor", 2020: "poor"}),  # continuing poor
    }
    for name, (village, results) in more.items():
        reviewed[make_household(village, name)] = results
    for household, results in reviewed.items():
        for year, result in sorted(results.items()):
            make_review(household, year, result, criterion="income" if result == "poor" else None)
    db.session.commit()


def test_each_household_falls_in_exactly_one_kind_and_the_kinds_add_up(world, histories, login_as):
    client = login_as(world.users.manager)
    body = client.get("/api/v1/movements?from=2019&to=2020").get_json()
    assert body["unit"] == {"code": "999", "name": "Huyện Thử Nghiệm"}
    assert (body["from"], body["to"]) == (2019, 2020)
    assert set(body["counts"]) == set(KINDS)  # every kind, 0 or not
    assert body["counts"] == dict.fromkeys(KINDS, 1)
    assert body["total"] == 9
    counts = body["counts"]
    for year, poor, near in (
        (
            2019,
            ("continuing_poor", "poor_to_near_poor", "escaped_poverty"),
            ("continuing_near_poor", "near_poor_to_poor", "escaped_near_poverty"),
        ),
        (
            2020,
            ("continuing_poor", "near_poor_to_poor", "newly_poor", "fallen_back"),
            ("continuing_near_poor", "poor_to_near_poor", "newly_near_poor"),
        ),
    ):
        stats = client.get(f"/api/v1/stats?year={year}").get_json()
        assert stats["poor"] == sum(counts[k] for k in poor), year
        assert stats["near_poor"] == sum(counts[k] for k in near), year


def test_movements_of_a_commune_and_across_more_than_one_year(world, histories, login_as):
    staff_a = login_as(world.users.staff_a)
    counts = staff_a.get("/api/v1/movements?from=2019&to=2020").get_json()["counts"]
    # commune A: duc escaped, lan near → poor, Hoa fell back, Tuấn continued, Sơn newly near-poor
    assert {k: n for k, n in counts.items() if n} == {
        "escaped_poverty": 1,
        "near_poor_to_poor": 1,
        "fallen_back": 1,
        "continuing_near_poor": 1,
        "newly_near_poor": 1,
    }
    # 2018 → 2020 over the district: neither in 2018 and poor in 2020, Hoa (poor in 2017) and Khoa
    # (not reviewed in 2018, poor in 2019) fell back; Minh and Lan are newly poor
    counts = login_as(world.users.manager).get("/api/v1/movements?from=2018&to=2020").get_json()["counts"]
    assert (counts["fallen_back"], counts["newly_poor"]) == (2, 2)
    assert (counts["escaped_poverty"], counts["poor_to_near_poor"]) == (1, 1)


def test_movements_are_scoped_and_their_arguments_checked(world, histories, login_as):
    client = login_as(world.users.staff_a)
    assert client.get("/api/v1/movements?unit=99902&from=2019&to=2020").status_code == 404
    for query, message in (
        ("to=2020", "from is required: a year from 2000 to 2100"),
        ("from=2019", "to is required: a year from 2000 to 2100"),
        ("from=soon&to=2020", "from is required: a year from 2000 to 2100"),
        ("from=2020&to=2019", "from must be an earlier year than to"),
        ("from=2020&to=2020", "from must be an earlier year than to"),
    ):
        response = client.get(f"/api/v1/movements?{query}")
        assert (response.status_code, response.get_json()) == (400, {"error": message}), query


def test_the_demo_districts_movements_2018_to_2019_match_its_figures_and_recorded_transitions(
    demo_app, demo_client
):
    """The article's district: the kinds add up to 1,486 poor and 866 near-poor in 2019 (and to
    2018's counts), and agree with the transition recorded on each 2019 review."""
    client = demo_client("manager")
    body = client.get("/api/v1/movements?from=2018&to=2019").get_json()
    counts = body["counts"]
    poor_2019 = (
        counts["continuing_poor"] + counts["near_poor_to_poor"] + counts["newly_poor"] + counts["fallen_back"]
    )
    near_2019 = counts["continuing_near_poor"] + counts["poor_to_near_poor"] + counts["newly_near_poor"]
    assert (poor_2019, near_2019) == (1486, 866)
    stats_2018 = client.get("/api/v1/stats?year=2018").get_json()
    assert (
        counts["continuing_poor"] + counts["poor_to_near_poor"] + counts["escaped_poverty"]
        == stats_2018["poor"]
    )
    near_2018 = counts["continuing_near_poor"] + counts["near_poor_to_poor"] + counts["escaped_near_poverty"]
    assert near_2018 == stats_2018["near_poor"]
    with demo_app.app_context():
        recorded = dict(
            db.session.execute(
                select(ReviewRecord.transition, func.count())
                .where(
                    ReviewRecord.year == 2019,
                    ReviewRecord.kind == "official",
                    ReviewRecord.transition.is_not(None),
                )
                .group_by(ReviewRecord.transition)
            ).all()
        )
        db.session.remove()
    assert {k: n for k, n in counts.items() if n} == recorded
