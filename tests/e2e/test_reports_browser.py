"""Reports in a real browser, with a real RQ worker: the district staff generates the quarterly
report and watches the progress bar, submits it, and the province manager approves it
(PRODUCT.md §3 Reports). The status panel swaps in place; the page never reloads.

This test writes to the shared demo database: Huyện Bạch Thông's 2020-Q1 report gets a second
version and ends approved. No other browser test reads it.
"""

import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import ReportDefinition, ReportInstance
from app.services.demo import AS_OF
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

MARKER = "window.__e2eReportsNoReload"


@pytest.fixture
def worker(demo_app):
    """``python worker.py`` on the demo database and its reports queue; a short pause between
    generation steps, so that the progress bar can be seen moving."""
    env = os.environ | {
        "DATABASE_URL": demo_app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": demo_app.config["REDIS_URL"],
        "SECRET_KEY": "test-secret",
        "STORAGE_DIR": demo_app.config["STORAGE_DIR"],
        "REPORTS_QUEUE": demo_app.config["REPORTS_QUEUE"],
        "APP_TODAY": AS_OF.isoformat(),
        "REPORT_STEP_PAUSE": "0.6",
    }
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py"), demo_app.config["REPORTS_QUEUE"]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield proc
    proc.terminate()
    proc.wait(20)


@pytest.fixture
def quarterly(demo_app) -> int:
    with demo_app.app_context():
        return db.session.scalars(
            select(ReportInstance.id)
            .join(ReportDefinition)
            .where(ReportDefinition.code == "programme_quarterly", ReportInstance.period == "2020-Q1")
        ).one()


def test_generate_submit_and_approve_the_quarterly_report(
    browser, live_server, page, console, login, screenshot, worker, quarterly
):
    login(page, "staff")
    page.goto(f"/reports/{quarterly}")
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate(f"{MARKER} = 'still here'")
    panel = page.locator("#report-panel")
    expect(panel.locator(".badge-report-draft")).to_be_visible()

    panel.get_by_role("button", name="Tạo lại").click()
    progress = panel.locator("progress#report-progress")
    expect(progress).to_be_visible()
    page.wait_for_function(
        "() => { const p = document.querySelector('#report-progress'); return p && p.value >= 35; }",
        timeout=30_000,
    )
    screenshot(page, "report-progress.png")
    expect(panel.locator(".badge-report-draft")).to_be_visible(timeout=60_000)  # the polling stopped
    expect(panel).not_to_have_attribute("hx-trigger", "every 1s")
    expect(panel.locator("table tbody tr")).to_have_count(2)  # v2 beside v1
    assert page.evaluate(MARKER) == "still here"  # swapped in place, never reloaded

    panel.locator("textarea[name=commentary]").fill(
        "Huyện đã tổng hợp đủ số liệu quý I; đề nghị tỉnh xem xét."
    )
    panel.get_by_role("button", name="Nộp phiên bản 2").click()
    expect(panel.locator(".badge-report-submitted")).to_be_visible()
    assert page.evaluate(MARKER) == "still here"

    manager = browser.new_context(
        viewport={"width": 1366, "height": 768}, base_url=live_server, locale="vi-VN"
    )
    try:
        other = manager.new_page()
        login(other, "manager.tinh")
        other.goto(f"/reports/{quarterly}")
        other_panel = other.locator("#report-panel")
        expect(other_panel.get_by_text("Huyện đã tổng hợp đủ số liệu quý I")).to_be_visible()
        other_panel.get_by_role("button", name="Phê duyệt").click()
        expect(other_panel.locator(".badge-report-approved")).to_be_visible()
        expect(other_panel.get_by_role("button", name="Phê duyệt")).to_have_count(0)  # locked
        screenshot(other, "report-approved.png")
        pdf = other.request.get(other_panel.get_by_role("link", name="PDF").first.get_attribute("href"))
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.body()[:5] == b"%PDF-"
    finally:
        manager.close()
    console.assert_clean()
