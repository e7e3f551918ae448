"""The home page as a dashboard: targets with their bars, the rate charts, drilling into a unit."""

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.extensions import db
from app.models import Target
from app.services import overview
from tests.blueprints.helpers import parse
from tests.factories import make_review, make_task

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def on_20_march_2020(app, monkeypatch):
    monkeypatch.setitem(app.config, "TODAY", date(2020, 3, 20))


def charts(response) -> dict[str, ET.Element]:
    """The page's SVG charts, parsed as XML, by their title."""
    html = response.get_data(as_text=True)
    found = {}
    start = html.find("<svg")
    while start != -1:
        end = html.index("</svg>", start) + len("</svg>")
        svg = ET.fromstring(html[start:end])
        found[svg.find(f"{SVG}title").text] = svg
        start = html.find("<svg", end)
    return found


def texts(svg: ET.Element) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}text") if t.text]


def test_the_home_page_shows_each_target_with_its_bar_and_status(world, login_as):
    for key, value in (("hygienic_water", 85), ("new_jobs", 10)):
        db.session.add(Target(year=2020, unit_id=world.district.id, indicator=key, value=Decimal(value)))
    db.session.commit()
    response = login_as(world.users.manager).get("/")
    rows = {row.attrs["data-indicator"]: row for row in parse(response).find_all("li", class_="target")}
    assert set(rows) == {"hygienic_water", "new_jobs"}  # only the indicators with a target
    assert rows["hygienic_water"].attrs["data-status"] == "achieved"  # no poor household lacks water
    assert rows["new_jobs"].attrs["data-status"] == "at_risk"  # no job found by 20 March
    bars = charts(response)
    water = bars["Hộ nghèo có nước sinh hoạt hợp vệ sinh"]
    assert water.get("role") == "img"
    assert "Thực hiện 100,00 %, kế hoạch 85,00 %" in water.find(f"{SVG}desc").text
    actual = next(r for r in water.iter(f"{SVG}rect") if r.get("class") == "actual")
    assert float(actual.get("width")) == pytest.approx(318)  # the whole bar: 100 %


def test_the_rate_charts_plot_the_units_figures_and_the_years(world, login_as):
    make_review(world.households.duc, 2018, "poor", criterion="income", income=500_000)
    make_review(world.households.lan, 2018, "poor", criterion="income", income=500_000)
    db.session.commit()
    response = login_as(world.users.staff).get("/")
    found = charts(response)
    by_unit = next(
        svg for title, svg in found.items() if title.startswith("Tỷ lệ hộ nghèo, cận nghèo theo đơn vị")
    )
    labels = texts(by_unit)
    # commune A: 1 poor, 1 near-poor of 2 (50 %, 50 %); commune B: 1 poor of 1 (100 %), first
    assert labels.index("Xã Quang Thuận Thử") < labels.index("Xã Cẩm Giàng Thử")
    assert "100,00" in labels and "50,00" in labels
    trend = next(svg for title, svg in found.items() if "theo năm rà soát" in title)
    assert {"2018", "2019"} <= set(texts(trend))
    assert "66,67" in texts(trend)  # 2019: 2 poor of 3 households
    table = parse(response).find_all("details", class_="as-table")
    assert table and "66,67 %" in table[0].text


def test_a_unit_opens_its_own_dashboard_within_the_scope(world, login_as):
    db.session.add(Target(year=2020, unit_id=world.commune_a.id, indicator="new_jobs", value=Decimal(3)))
    db.session.commit()
    manager = login_as(world.users.manager)
    home = parse(manager.get("/"))
    link = next(a for a in home.find_all("a") if a.text == "Xã Cẩm Giàng Thử")
    assert link.attrs["href"].startswith("/?unit=99901")
    page = manager.get(link.attrs["href"])
    doc = parse(page)
    assert doc.find_all("h1")[0].text == "Xã Cẩm Giàng Thử"
    figures = {e.attrs["data-figure"]: e.text for e in doc.elements if "data-figure" in e.attrs}
    assert (figures["households"], figures["poor"], figures["near_poor"]) == ("2", "1", "1")
    assert [li.attrs["data-indicator"] for li in doc.find_all("li", class_="target")] == ["new_jobs"]
    assert "Huyện Thử Nghiệm" in doc.find_all("nav", class_="breadcrumb")[0].text
    staff_b = login_as(world.users.staff_b)
    assert staff_b.get("/?unit=99901").status_code == 404  # commune B's officer cannot read commune A


def _work(response) -> dict[str, str]:
    return {e.attrs["data-work"]: e.text for e in parse(response).elements if "data-work" in e.attrs}


def test_a_change_shows_at_the_next_load_and_nothing_is_counted_twice(world, login_as, monkeypatch):
    """The figures are kept under data_versions['figures'] (raised by triggers on every write):
    a second load counts nothing again; a task added, or a status changed in plain SQL, shows."""
    counted = []
    real = overview.work
    monkeypatch.setattr(overview, "work", lambda unit, today: counted.append(unit.id) or real(unit, today))
    client = login_as(world.users.manager)
    assert _work(client.get("/"))["tasks"] == "0"
    assert _work(client.get("/"))["tasks"] == "0"
    assert counted == [world.district.id]  # the second load read the kept figures

    task = make_task(world.households.duc, world.organisations.a, due=date(2020, 3, 1))
    db.session.commit()
    figures = _work(client.get("/"))
    assert (figures["tasks"], figures["overdue"]) == ("1", "1 quá hạn")
    db.session.execute(text("UPDATE support_tasks SET status = 'done' WHERE id = :id"), {"id": task.id})
    db.session.commit()
    assert _work(client.get("/"))["overdue"] == "0 quá hạn"
    assert len(counted) == 3


def test_every_figure_of_the_dashboard_is_read_within_the_scope(world, login_as):
    """Two overdue tasks in commune A, one in commune B, a target in each commune: the commune A
    officer's home page counts commune A's alone; the district manager's counts all three."""
    for household in (world.households.duc, world.households.lan, world.households.pao):
        make_task(household, world.organisations.a, due=date(2020, 3, 1))
    for commune, value in ((world.commune_a, 2), (world.commune_b, 5)):
        db.session.add(Target(year=2020, unit_id=commune.id, indicator="new_jobs", value=Decimal(value)))
    db.session.commit()
    staff = parse(login_as(world.users.staff_a).get("/"))
    work = {e.attrs["data-work"]: e.text for e in staff.elements if "data-work" in e.attrs}
    assert (work["tasks"], work["overdue"]) == ("2", "2 quá hạn")
    figures = {e.attrs["data-figure"]: e.text for e in staff.elements if "data-figure" in e.attrs}
    assert (figures["households"], figures["poor"]) == ("2", "1")
    target = staff.find_all("li", class_="target")[0]
    assert target.find_all("strong", data_target_figure="target")[0].text == "2"
    assert "Xã Quang Thuận Thử" not in staff.markup
    manager = parse(login_as(world.users.manager).get("/"))
    work = {e.attrs["data-work"]: e.text for e in manager.elements if "data-work" in e.attrs}
    assert (work["tasks"], work["overdue"]) == ("3", "3 quá hạn")
