"""The dashboard in a real browser (Debian's chromium): a manager sees the district's targets and
charts, changes the plan year with the keyboard, and drills into a commune; screenshots kept."""

from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from tests.e2e.test_registry_browser import figure, horizontal_overflow

DISTRICT_TARGETS = {
    "poverty_rate_reduction",
    "new_jobs",
    "health_insurance",
    "hygienic_water",
    "tuition_exemption",
    "telecom",
    "information",
    "tasks:HOUSING",  # the district's own target, beside the article's seven
}


def charts_drawn(page) -> int:
    """Charts with a title and something plotted (bars or lines), as the browser laid them out."""
    return page.evaluate(
        """() => [...document.querySelectorAll('svg.chart[role=img]')].filter(svg =>
              svg.querySelector('title') && svg.getBoundingClientRect().width > 100 &&
              svg.querySelectorAll('rect, path, polyline').length > 1).length"""
    )


def test_a_manager_sees_the_targets_and_charts_and_drills_into_a_commune(page, console, login, screenshot):
    login(page, "manager")
    targets = page.locator("li.target")
    expect(targets).to_have_count(8)
    assert {targets.nth(i).get_attribute("data-indicator") for i in range(8)} == DISTRICT_TARGETS
    jobs = page.locator('li.target[data-indicator="new_jobs"]')
    expect(jobs.locator(".badge")).to_have_text("Đúng tiến độ")  # 140 by 20 March: 641 projected
    expect(jobs.locator('[data-target-figure="target"]')).to_have_text("550")
    assert charts_drawn(page) >= 13  # 8 target bars, rates by unit, the trend, tasks ×2, overdue
    assert figure(page, "poor_rate") == "17,33 %"
    assert horizontal_overflow(page) <= 0
    screenshot(page, "dashboard-manager.png")

    # the trend as a table, opened with the keyboard
    trend = page.locator("section:has(#trend-title) details.as-table")
    trend.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(trend.locator("table")).to_be_visible()
    expect(trend.locator("table")).to_contain_text("19,77 %")

    # drill into Cẩm Giàng from the table of units
    page.get_by_role("link", name="Xã Cẩm Giàng", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Xã Cẩm Giàng")
    assert parse_qs(urlsplit(page.url).query)["unit"] == ["02008"]
    expect(page.locator("nav.breadcrumb")).to_contain_text("Huyện Bạch Thông")
    expect(page.locator("li.target")).to_have_count(7)  # the commune's share of the article's targets
    households = int(figure(page, "households").replace(".", ""))
    assert 0 < households < 8575
    assert charts_drawn(page) >= 10
    screenshot(page, "dashboard-camgiang.png")
    console.assert_clean()
