"""The 2020 review of Cẩm Giàng finished and recognised in a real browser, then the district's
movements 2019 → 2020 with Cẩm Giàng among the communes compared.

The demo leaves Cẩm Giàng's review one minutes file and its public posting short of complete.
This test completes it on the shared demo database, and ``restored`` puts the round back as the
demo seeded it afterwards, so the tests that read the demo later see the seeded state.
"""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select

from app.extensions import db
from app.models import AdminUnit, MeetingMinutes, ReviewRecord, ReviewRound, VillageMeeting
from app.services import review_rounds
from app.services.reviews import refresh_status
from tests.e2e.conftest import TIMEOUT_MS, VIEWPORT

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def cam_giang(demo_app):
    """Cẩm Giàng's 2020 round id; afterwards the round, its minutes, records and households as
    the demo seeded them."""
    with demo_app.app_context():
        row = db.session.scalars(
            select(ReviewRound)
            .join(AdminUnit, AdminUnit.id == ReviewRound.unit_id)
            .where(AdminUnit.code == "02008")
        ).one()
        round_id = row.id
        minutes = set(
            db.session.scalars(
                select(MeetingMinutes.id).join(VillageMeeting).where(VillageMeeting.round_id == round_id)
            )
        )
    yield round_id
    with demo_app.app_context():
        row = db.session.get(ReviewRound, round_id)
        added = db.session.scalars(
            select(MeetingMinutes)
            .join(VillageMeeting)
            .where(VillageMeeting.round_id == round_id, MeetingMinutes.id.not_in(minutes))
        ).all()
        for extra in added:
            db.session.delete(extra)
        households = db.session.scalars(review_rounds.round_households(row)).all()
        db.session.execute(
            delete(ReviewRecord).where(
                ReviewRecord.year == 2020,
                ReviewRecord.kind == "official",
                ReviewRecord.household_id.in_([h.id for h in households]),
            )
        )
        for household in households:
            refresh_status(household)
        row.stage, row.posting_from, row.posting_to = "preliminary", None, None
        row.decision_number = row.decision_date = row.recognised_by_id = row.recognised_at = None
        db.session.commit()


def test_a_commune_finishes_its_review_and_the_district_sees_the_movements(
    page, console, login, screenshot, cam_giang, browser, live_server
):
    login(page, "staff.camgiang")
    page.goto(f"/reviews/{cam_giang}")
    checklist = page.locator("#checklist .checklist")
    expect(checklist.locator("li.todo")).to_have_count(2)  # the meetings' minutes, the posting

    # the village whose meeting lacks its second minutes
    page.locator("#meetings tbody tr", has_text="1/2").locator("a").click()
    expect(page.locator("h1")).to_contain_text("Họp dân thôn")
    page.set_input_files(
        "#file", files=[{"name": "bien-ban-2.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Đính kèm").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã đính kèm biên bản")
    expect(page.locator("#minutes-title")).to_contain_text("(2/2)")

    page.goto(f"/reviews/{cam_giang}")
    page.fill("#posting_from", "2020-11-16")
    page.fill("#posting_to", "2020-11-23")
    page.get_by_role("button", name="Lưu thời gian niêm yết").click()
    expect(page.locator(".alert-success")).to_contain_text("niêm yết công khai")
    expect(checklist.locator("li.todo")).to_have_count(0)

    # the manager in a browser of their own (as another person would be)
    manager = browser.new_context(viewport=VIEWPORT, base_url=live_server, locale="vi-VN")
    manager.set_default_timeout(TIMEOUT_MS)
    manager.on("console", console.on_console)
    manager.on("weberror", console.on_weberror)
    try:
        manager_page = manager.new_page()
        login(manager_page, "manager")
        manager_page.goto(f"/reviews/{cam_giang}")
        manager_page.fill("#decision_number", "195/QĐ-UBND")
        manager_page.fill("#decision_date", "2020-12-15")
        manager_page.once("dialog", lambda dialog: dialog.accept())  # hx-confirm asks first
        manager_page.get_by_role("button", name="Công nhận kết quả chính thức").click()
        expect(manager_page.locator(".alert-success")).to_contain_text("Đã công nhận kết quả chính thức")
        expect(manager_page.locator("h1 + p .badge")).to_have_text("Đã công nhận chính thức")
        screenshot(manager_page, "review-recognised.png")

        # the commune's own movements first, loaded before asking for the district's
        manager_page.get_by_role("link", name="Xem biến động").click()
        manager_page.wait_for_url("**/reviews/movements?**")
        manager_page.goto("/reviews/movements?unit=063&from=2019&to=2020")
        notice = manager_page.locator(".alert-warning")
        expect(notice).to_contain_text("Xã Cẩm Giàng")
        counts = manager_page.locator("#kind-counts tbody td.num").all_inner_texts()
        assert sum(int(re.sub(r"\D", "", c)) for c in counts) > 0
        screenshot(manager_page, "review-movements.png")
    finally:
        manager.close()
    console.assert_clean()
