"""Support tasks in a real browser: a supervisor works from "My tasks" (PRODUCT.md §3 Support
tasks). The status changes in its row and the counters follow, a note is added in a dialog, and
nothing reloads the page.

This test writes to the shared demo database: one in-progress task of Xã Cẩm Giàng becomes done
and gets a note. No other browser test reads Cẩm Giàng's tasks.
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

MARKER = "window.__e2eTasksNoReload"
OUTCOME = {
    "outcome_amount": "5000000",
    "outcome_fund_source": "Ngân sách xã Cẩm Giàng",
    "outcome_employer": "Công ty May Bắc Kạn",
    "outcome_card_number": "GD4069957185912",
}


# a 1×1 PNG: checked by its content, as any upload is
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2219bc0000000"
    "0049454e44ae426082"
)


def counter(page, name: str) -> int:
    text = page.locator(f'#task-counters [data-counter="{name}"]').inner_text()
    return int(re.sub(r"\D", "", text))


def test_a_supervisor_finishes_a_task_inline_and_adds_a_note(page, console, login, screenshot):
    login(page, "supervisor.camgiang")
    expect(page.locator("main h1")).to_have_text("Việc của tôi")  # the supervisor's home
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate(f"{MARKER} = 'still here'")
    page.locator("#status").select_option("in_progress")  # the filter swaps the results only
    page.wait_for_url(re.compile(r"[?&]status=in_progress"))
    rows = page.locator("#task-results tbody tr[id^='task-']")
    expect(rows.first.locator(".badge-task-in_progress")).to_be_visible()
    expect(rows.locator(".badge-task-done")).to_have_count(0)
    open_before, done_before = counter(page, "open"), counter(page, "done")

    row_id = rows.first.get_attribute("id")
    row = page.locator(f"#{row_id}")
    console.expect_failed_load(f"/tasks/{row_id.removeprefix('task-')}/status")  # the 422 that asks
    row.locator("select[name=status]").select_option("done")
    row.get_by_role("button", name="Cập nhật").click()

    # done needs the outcome of the task's type: the row asks for it
    expect(row).to_have_class(re.compile(r"\basking\b"))
    for name, value in OUTCOME.items():
        field = row.locator(f"[name={name}]")
        if field.count():
            field.fill(value)
    row.locator("[name=outcome_text]").fill("Hộ đã nhận hỗ trợ đầy đủ.")
    row.get_by_role("button", name="Lưu").click()

    expect(row.locator(".badge-task-done")).to_have_text("Hoàn thành")
    expect(page.locator('#task-counters [data-counter="done"]')).to_have_text(str(done_before + 1))
    assert counter(page, "open") == open_before - 1

    notes = row.get_by_role("link", name=re.compile(r"^Ghi chú \((\d+)\)$"))
    before = int(re.search(r"\((\d+)\)", notes.inner_text()).group(1))
    notes.click()
    dialog = page.locator("dialog#modal")
    expect(dialog).to_be_visible()
    dialog.locator("textarea[name=body]").fill("Đã đến nhà bàn giao, hộ ký nhận.")
    dialog.get_by_role("button", name="Thêm ghi chú").click()
    expect(dialog.locator("ol.notes li").first).to_contain_text("Đã đến nhà bàn giao, hộ ký nhận.")
    expect(page.locator(f"#{row_id}").get_by_role("link", name=f"Ghi chú ({before + 1})")).to_be_attached()
    # evidence: a photo of the signed receipt, attached in the same dialog
    dialog.locator("#evidence-file").set_input_files(
        {"name": "bien-ban-ban-giao.png", "mimeType": "image/png", "buffer": PNG}
    )
    dialog.get_by_role("button", name="Đính kèm", exact=True).click()
    expect(dialog.locator("ul.files li")).to_contain_text("bien-ban-ban-giao.png")
    screenshot(page, "tasks-note-dialog.png")
    dialog.locator("button[data-close-dialog]").last.click()
    expect(dialog).to_be_hidden()

    assert page.evaluate(f"{MARKER} === 'still here'"), "the page was reloaded"
    screenshot(page, "tasks-supervisor.png")

    # this morning's deadline reminders wait in the notification centre
    bell = page.locator("#bell")
    expect(bell.locator("[data-unread]")).to_be_visible()
    bell.click()
    expect(page.locator("main h1")).to_have_text("Thông báo")
    expect(page.locator("ul.notifications li.unread").first).to_contain_text(
        re.compile(r"Quá hạn|Sắp đến hạn")
    )
    screenshot(page, "notifications-supervisor.png")
    console.assert_clean()
