"""The movements page: counts by kind, by commune, ethnicity and cause, the households of a kind,
and the preliminary → official changes of the later year; within the scope."""

import csv
from io import StringIO

from app.extensions import db
from app.models import ReviewRecord
from tests.blueprints.helpers import parse
from tests.blueprints.test_api_movements import histories  # noqa: F401 - the households' results
from tests.factories import make_review


def kind_counts(doc) -> dict[str, str]:
    return {
        row.attrs["data-kind"]: row.find_all("td")[0].text
        for row in doc.find_all("tr")
        if "data-kind" in row.attrs
    }


def test_the_movements_of_the_district_between_its_latest_reviews(world, histories, login_as):  # noqa: F811
    response = login_as(world.users.manager).get("/reviews/movements")
    assert response.status_code == 200
    doc = parse(response)
    assert set(kind_counts(doc).values()) == {"1"}  # 2019 → 2020, the latest two: one of each kind
    assert len(kind_counts(doc)) == 9
    communes = doc.find_all("section", aria_labelledby="communes-title")[0].text
    assert "Xã Cẩm Giàng Thử" in communes and "Xã Quang Thuận Thử" in communes
    ethnicities = doc.find_all("section", aria_labelledby="ethnicity-title")[0].text
    assert "H'Mông" in ethnicities  # Giàng Seo Pao
    assert "Chưa ghi nguyên nhân" in doc.find_all("section", aria_labelledby="causes-title")[0].text
    listed = doc.find_all("section", id="moved")[0].text
    assert "Lý Thị Hoa" in listed and "Tái nghèo" in listed


def test_one_kind_lists_its_households_alone(world, histories, login_as):  # noqa: F811
    doc = parse(
        login_as(world.users.manager).get("/reviews/movements?from=2019&to=2020&kind=escaped_poverty")
    )
    rows = doc.find_all("section", id="moved")[0].find_all("tbody")[0].find_all("tr")
    assert [row.find_all("td")[1].text for row in rows] == ["Nguyễn Văn Đức"]


def test_the_preliminary_results_that_the_official_review_changed(world, histories, login_as):  # noqa: F811
    """Đức was preliminarily poor in 2020 and is officially not poor; Lan's results agree."""
    make_review(world.households.duc, 2020, "poor", kind="preliminary", criterion="income")
    make_review(world.households.lan, 2020, "poor", kind="preliminary", criterion="income")
    db.session.commit()
    doc = parse(login_as(world.users.manager).get("/reviews/movements"))
    changes = doc.find_all("section", aria_labelledby="changes-title")[0]
    rows = [[cell.text for cell in row.find_all("td")] for row in changes.find_all("tbody")[0].find_all("tr")]
    assert rows == [["Hộ nghèo", "Không nghèo", "1"]]


def test_the_page_keeps_to_the_scope_and_needs_two_reviews(world, histories, login_as):  # noqa: F811
    staff_a = login_as(world.users.staff_a)
    assert staff_a.get("/reviews/movements?unit=99902").status_code == 404
    doc = parse(staff_a.get("/reviews/movements"))
    counts = kind_counts(doc)
    assert counts["escaped_poverty"] == "1" and counts["poor_to_near_poor"] == "0"  # Pao lives in commune B
    assert "Quang Thuận" not in doc.markup
    db.session.query(ReviewRecord).filter(ReviewRecord.year != 2019).delete()
    db.session.commit()
    doc = parse(login_as(world.users.manager).get("/reviews/movements"))
    assert "Cần kết quả rà soát chính thức của hai năm để so sánh." in doc.markup


def test_the_households_of_a_movement_export_as_csv(world, histories, login_as):  # noqa: F811
    client = login_as(world.users.manager)
    response = client.get("/reviews/movements/export?format=csv&from=2019&to=2020&kind=fallen_back")
    assert response.status_code == 200
    assert 'filename="movements-2019-2020-' in response.headers["Content-Disposition"]
    rows = list(csv.reader(StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0] == ["Mã hộ", "Chủ hộ", "Xã", "Dân tộc", "Nguyên nhân", "Biến động"]
    assert [row[1:3] + row[5:] for row in rows[1:]] == [["Lý Thị Hoa", "Xã Cẩm Giàng Thử", "Tái nghèo"]]
    everyone = (
        client.get("/reviews/movements/export?format=csv&from=2019&to=2020").get_data().decode("utf-8-sig")
    )
    assert len(list(csv.reader(StringIO(everyone)))) == 1 + 9


def test_a_household_that_moved_away_counts_where_it_was_reviewed(world, histories, login_as):  # noqa: F811
    """Đức, reviewed poor in commune A in 2019, now lives in commune B: commune A's officer sees
    him under commune A (escaped poverty there), without a link to a page outside their scope."""
    world.households.duc.unit_id = world.village_b1.id
    db.session.commit()
    doc = parse(
        login_as(world.users.staff_a).get("/reviews/movements?from=2019&to=2020&kind=escaped_poverty")
    )
    row = doc.find_all("section", id="moved")[0].find_all("tbody")[0].find_all("tr")[0]
    cells = row.find_all("td")
    assert (cells[0].text, cells[2].text) == ("A-0001", "Xã Cẩm Giàng Thử")
    assert not cells[0].find_all("a")
    assert "Xã Quang Thuận Thử" not in doc.find_all("section", aria_labelledby="communes-title")[0].text
