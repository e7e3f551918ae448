"""XLSX import in a real browser with a real RQ worker (PRODUCT.md §3 Import and export): the commune
officer of Xã Cẩm Giàng uploads a workbook with mistakes, reads every problem in the preview,
uploads the corrected file (tests/data/import_sample.xlsx), confirms, and sees what was written.

The demo's units, villages, standards and users on a database and a server of this module's own,
without the demo's households: the shared demo database keeps the article's figures. Screenshots of
the preview with problems and of the committed import go to the test's directory and /tmp/shots/.
"""

import logging
import os
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Household
from app.services.demo import AS_OF, demo_password
from tests.conftest import ROOT, Client, database_url, dispose, make_test_app
from tests.data.make_import_sample import SAMPLE, broken_rows, build_demo_places, write_workbook
from tests.e2e.conftest import TIMEOUT_MS, VIEWPORT, Console

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
USER = "staff.camgiang"
STEP_MS = 30_000  # a job's turn: the worker starts, reads, checks (a second or two)


@pytest.fixture(scope="module")
def import_app(tmp_path_factory, redis_url):
    application = make_test_app(
        database_url("imports_e2e", tmp_path_factory.mktemp("imports-db")),
        redis_url,
        STORAGE_DIR=str(tmp_path_factory.mktemp("imports-storage")),
        IMPORTS_QUEUE=f"test-e2e-imports-{uuid.uuid4().hex[:8]}",
        TODAY=AS_OF,
    )
    application.test_client_class = Client
    with application.app_context():
        build_demo_places()
        db.session.remove()
    yield application
    dispose(application)


@pytest.fixture(scope="module")
def import_server(import_app):
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, import_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-import-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def worker(import_app):
    """``python worker.py <imports queue>`` on this module's database and storage."""
    env = os.environ | {
        "DATABASE_URL": import_app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": import_app.config["REDIS_URL"],
        "SECRET_KEY": "test-secret",
        "STORAGE_DIR": import_app.config["STORAGE_DIR"],
        "APP_TODAY": AS_OF.isoformat(),
    }
    queue = import_app.config["IMPORTS_QUEUE"]
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py"), queue],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield proc
    proc.terminate()
    proc.wait(20)


@pytest.fixture
def browsing(browser, import_server):
    context = browser.new_context(viewport=VIEWPORT, base_url=import_server, locale="vi-VN")
    context.set_default_timeout(TIMEOUT_MS)
    console = Console()
    context.on("console", console.on_console)
    context.on("weberror", console.on_weberror)
    yield context.new_page(), console
    context.close()


def shot(page, tmp_path: Path, name: str) -> Path:
    """A full-page screenshot in the test's directory, copied to /tmp/shots/."""
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / name)
    return path


def upload(page, path: Path) -> None:
    page.goto("/imports/")
    page.set_input_files("#file", str(path))
    with page.expect_navigation():
        page.locator("#upload button[type=submit]").click()


def test_upload_with_mistakes_then_the_corrected_file_and_confirm(import_app, browsing, worker, tmp_path):
    page, console = browsing
    page.goto("/auth/login")
    page.fill("#username", USER)
    page.fill("#password", demo_password())
    with page.expect_navigation():
        page.locator("form:has(#username) button[type=submit]").click()
    broken = tmp_path / "danh-sach-cam-giang.xlsx"
    write_workbook(broken, broken_rows())

    upload(page, broken)

    panel = page.locator("#import-batch")
    expect(panel.locator("[data-status=invalid]")).to_be_visible(timeout=STEP_MS)  # the polling stopped there
    rows = page.locator("#import-problems tbody tr")
    cells = [
        (rows.nth(i).get_attribute("data-sheet"), rows.nth(i).get_attribute("data-row"),
         rows.nth(i).get_attribute("data-column"))
        for i in range(rows.count())
    ]  # fmt: skip
    assert cells == [
        ("Hộ gia đình", "4", "D"),  # a village of another commune
        ("Hộ gia đình", "6", "H"),  # an unknown cause code
        ("Thành viên", "2", "G"),  # a citizen ID Excel turned into a number
        ("Kết quả rà soát", "7", "D"),  # an income left empty
        ("Kết quả rà soát", "8", "D"),  # a formula
    ]
    shot(page, tmp_path, "imports_preview_errors.png")

    page.locator("#import-batch a[href$='#upload']").click()
    page.wait_for_url("**/imports/#upload")
    upload(page, SAMPLE)

    expect(panel.locator("[data-status=ready]")).to_be_visible(timeout=STEP_MS)
    counts = page.locator("#import-counts")
    expect(counts.locator("tr[data-table=households] td[data-count=created]")).to_have_text("20")
    shot(page, tmp_path, "imports_ready.png")
    panel.locator("form[action$='/confirm'] button").click()
    expect(panel.locator("[data-status=committed]")).to_be_visible(timeout=STEP_MS)
    expect(counts.locator("tr[data-table=households] td[data-count=created]")).to_have_text("20")
    expect(counts.locator("tr[data-table=reviews] td[data-count=created]")).to_have_text("20")
    shot(page, tmp_path, "imports_committed.png")

    page.goto("/imports/")
    history = page.locator("#import-history tbody tr")
    expect(history).to_have_count(2)
    expect(history.first.locator("[data-status=committed]")).to_be_visible()
    shot(page, tmp_path, "imports_history.png")
    with import_app.app_context():
        assert (
            db.session.scalar(select(func.count(Household.id)).where(Household.code.like("02008-06%"))) == 20
        )
        db.session.remove()
    console.assert_clean()
