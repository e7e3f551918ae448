"""Report generation by real RQ workers (worker.py) against real Redis servers, on the demo district:
the quarterly district report end to end, five simultaneous triggers, a worker killed with
SIGKILL mid-generation, and Redis down when a user asks for a report."""

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psutil
import pytest
from openpyxl import load_workbook
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import Household, ReportDefinition, ReportInstance, ReportVersion
from app.services import report_content, report_generation
from app.services.demo import AS_OF, build_demo, demo_password
from app.tasks.queues import redis_client
from tests.conftest import ROOT, Client, database_url, dispose, free_port, log_in, make_test_app, start_redis
from tests.tasks.test_maintenance import run_worker


@pytest.fixture(scope="module")
def reports_app(tmp_path_factory, redis_url):
    """The demo district on a database of its own (these tests write), with its own queue and storage."""
    application = make_test_app(
        database_url("reports", tmp_path_factory.mktemp("reports-db")),
        redis_url,
        STORAGE_DIR=str(tmp_path_factory.mktemp("reports-storage")),
        REPORTS_QUEUE=f"test-reports-{uuid.uuid4().hex[:8]}",
        TODAY=AS_OF,
        REPORT_LEASE_SECONDS=2,
    )
    application.test_client_class = Client
    with application.app_context():
        build_demo()  # with the 2020 calendar of reports, those due by 20 March generated
        _db.session.commit()
        _db.session.remove()
    yield application
    dispose(application)


@pytest.fixture
def ctx(reports_app):
    with reports_app.app_context():
        yield reports_app
        _db.session.remove()


def worker_env(app, **extra: str) -> dict[str, str]:
    return {
        "STORAGE_DIR": app.config["STORAGE_DIR"],
        "REPORTS_QUEUE": app.config["REPORTS_QUEUE"],
        "APP_TODAY": AS_OF.isoformat(),
        "REPORT_LEASE_SECONDS": str(app.config["REPORT_LEASE_SECONDS"]),
        **extra,
    }


def owed(code: str, unit_code: str, period: str) -> ReportInstance:
    return _db.session.scalars(
        select(ReportInstance)
        .join(ReportDefinition)
        .where(
            ReportDefinition.code == code,
            ReportInstance.unit.has(code=unit_code),
            ReportInstance.period == period,
        )
    ).one()


def fresh(instance_id: int) -> ReportInstance:
    _db.session.expire_all()
    return _db.session.get(ReportInstance, instance_id)


def files_of(app, instance: ReportInstance, version: int) -> list[str]:
    stem = report_generation.file_stem(instance.id, version)
    return sorted(p.name for p in (Path(app.config["STORAGE_DIR"]) / "reports").glob(f"{stem}*"))


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def vi(value) -> str:
    return report_content.vi_number(value)


def test_a_real_worker_generates_the_quarterly_district_report(ctx, tmp_path):
    instance = owed("programme_quarterly", "063", "2020-Q1")
    assert (instance.status, instance.version) == ("draft", 1)  # the demo generated it at the cut-off
    report_generation.request(instance, None)
    _db.session.commit()
    report_generation.dispatch(instance)

    result = run_worker(ctx, ctx.config["REPORTS_QUEUE"], **worker_env(ctx))

    assert result.returncode == 0, result.stderr[-3000:]
    instance = fresh(instance.id)
    assert (instance.status, instance.version, instance.error) == ("draft", 2, None), result.stderr[-3000:]
    assert [v.number for v in instance.versions] == [1, 2]
    version = instance.versions[-1]
    pdf = Path(ctx.config["STORAGE_DIR"]) / "reports" / version.pdf_name
    assert version.pdf_sha256 == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert files_of(ctx, instance, 2) == [version.pdf_name, version.xlsx_name]  # no temporary file left

    text = pdf_text(pdf)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "UBND HUYỆN BẠCH THÔNG" in text and "Bạch Thông, ngày 20 tháng 3 năm 2020" in text
    figures = version.snapshot["sections"][0]["figures"]
    assert (figures["households"], figures["poor"], figures["poor_rate"]) == (8575, 1486, "17.33")
    for figure in ("households", "poor", "near_poor", "poor_by_income", "poor_by_deprivation"):
        assert vi(figures[figure]) in text, figure
    assert "17,33" in text and "10,1" in text and "1.486" in text and "8.575" in text
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")))
    assert f"Trang 1/{count}" in text and f"Trang {count}/{count}" in text
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    assert len(list(tmp_path.glob("page-*.png"))) == count

    workbook = load_workbook(Path(pdf).with_suffix(".xlsx"), read_only=True)
    try:
        sheet_values = {cell.value for ws in workbook for row in ws.iter_rows() for cell in row}
    finally:
        workbook.close()  # a read-only workbook keeps its file open until closed
    assert 1486 in sheet_values and 8575 in sheet_values

    # the registry changes later: the generated version keeps its figures and its file
    sha_before = version.pdf_sha256
    household = _db.session.scalars(select(Household).where(Household.status == "poor")).first()
    household.status = "other"
    _db.session.commit()
    version = fresh(instance.id).versions[-1]
    assert version.snapshot["sections"][0]["figures"]["poor"] == 1486
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == sha_before
    household.status = "poor"
    _db.session.commit()


def _post_generate(app, username: str, report_id: int, version: int, results: list, start: threading.Event):
    with app.app_context():
        client = log_in(app.test_client(), username, demo_password())
        start.wait()
        response = client.post_form(f"/reports/{report_id}/generate", {"version": str(version)}, htmx=True)
        results.append(response.status_code)


def test_five_simultaneous_generate_requests_make_one_job_and_one_pdf(ctx):
    instance = owed("task_progress_monthly", "02008", "2020-03")  # Cẩm Giàng, left in draft by the demo
    assert (instance.status, instance.version) == ("draft", 1)
    queue = Queue(ctx.config["REPORTS_QUEUE"], connection=redis_client())
    queue.empty()
    results: list[int] = []
    start = threading.Event()
    threads = [
        threading.Thread(
            target=_post_generate, args=(ctx, user, instance.id, instance.version, results, start)
        )
        for user in ("staff.camgiang", "staff", "staff.camgiang", "staff", "staff.camgiang")
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # every client logged in and waiting
    start.set()
    for thread in threads:
        thread.join(60)

    assert sorted(results) == [200, 409, 409, 409, 409]
    assert queue.count == 1
    result = run_worker(ctx, ctx.config["REPORTS_QUEUE"], **worker_env(ctx))
    assert result.returncode == 0, result.stderr[-3000:]
    instance = fresh(instance.id)
    assert (instance.status, instance.version) == ("draft", 2)
    assert [v.number for v in instance.versions] == [1, 2]
    assert files_of(ctx, instance, 2) == [f"report-{instance.id}-v2.pdf", f"report-{instance.id}-v2.xlsx"]


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def kill_with_horse(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and its work horse at once, as a machine that dies would (RQ puts the
    horse in a process group of its own, so killing the worker's group alone leaves it running)."""
    horses = psutil.Process(worker.pid).children(recursive=True)
    for proc in [*horses, psutil.Process(worker.pid)]:
        proc.send_signal(signal.SIGKILL)
    psutil.wait_procs(horses, timeout=10)
    worker.wait(10)
    worker.stderr.close()


def test_a_worker_killed_mid_generation_loses_nothing(ctx):
    instance = owed("task_progress_monthly", "02017", "2020-04")  # Quang Thuận, April: generated now
    report_generation.request(instance, None)
    _db.session.commit()
    report_generation.dispatch(instance)
    job_id, stem = instance.job_id, report_generation.file_stem(instance.id, instance.version)
    reports_dir = Path(ctx.config["STORAGE_DIR"]) / "reports"
    env = os.environ | {
        "DATABASE_URL": ctx.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": ctx.config["REDIS_URL"],
        "SECRET_KEY": "test-secret",
        **worker_env(ctx, REPORT_STEP_PAUSE="1.5"),
    }
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py"), ctx.config["REPORTS_QUEUE"]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # the PDF is in its temporary file, not yet renamed: kill the worker and its horse there
        _wait_for(lambda: list(reports_dir.glob(f"{stem}.pdf.*.tmp")), 60, "the temporary PDF")
    finally:
        kill_with_horse(worker)
    assert list(reports_dir.glob(f"{stem}.pdf.*.tmp")) and not (reports_dir / f"{stem}.pdf").exists()
    instance = fresh(instance.id)
    assert (
        instance.status == "generating" and instance.lease_owner and instance.lease_owner.startswith(job_id)
    )

    time.sleep(ctx.config["REPORT_LEASE_SECONDS"] + 0.5)  # the dead worker's lease runs out
    result = run_worker(ctx, ctx.config["REPORTS_QUEUE"], **worker_env(ctx))  # sweeps at start

    assert result.returncode == 0, result.stderr[-3000:]
    instance = fresh(instance.id)
    assert (instance.status, instance.version, instance.lease_owner) == ("draft", 1, None)
    assert instance.attempts == 2, result.stderr[-4000:]  # the killed attempt and the one that finished
    versions = _db.session.scalar(select(func.count()).where(ReportVersion.instance_id == instance.id))
    assert versions == 1
    assert files_of(ctx, instance, 1) == [f"{stem}.pdf", f"{stem}.xlsx"]  # one PDF, no temporary file


def test_redis_down_when_a_user_asks_for_a_report(ctx, tmp_path, monkeypatch):
    port = free_port()
    redis_url = f"redis://127.0.0.1:{port}/0"
    server = start_redis(port, tmp_path)
    monkeypatch.setitem(
        ctx.extensions, "redis", Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2)
    )
    instance = owed("task_progress_monthly", "02008", "2020-04")  # Cẩm Giàng, April: generated now
    assert instance.status == "scheduled"
    client = log_in(ctx.test_client(), "staff", demo_password())
    server.terminate()
    server.wait(10)

    response = client.post_form(
        f"/reports/{instance.id}/generate", {"version": str(instance.version)}, htmx=True
    )

    assert response.status_code == 503
    assert "Hiện không kết nối được hàng đợi công việc" in response.get_data(as_text=True)
    instance = fresh(instance.id)
    assert (instance.status, instance.version, instance.enqueued_at) == ("generating", 1, None)  # recorded

    server = start_redis(port, tmp_path)  # Redis is back (empty: it kept nothing)
    try:
        result = subprocess.run(
            [sys.executable, str(ROOT / "worker.py"), "--burst", ctx.config["REPORTS_QUEUE"]],
            cwd=ROOT,
            env=os.environ
            | {
                "DATABASE_URL": ctx.config["SQLALCHEMY_DATABASE_URI"],
                "REDIS_URL": redis_url,
                "SECRET_KEY": "test-secret",
                **worker_env(ctx),
            },
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.terminate()
        server.wait(10)
    assert result.returncode == 0, result.stderr[-3000:]
    instance = fresh(instance.id)
    assert (instance.status, instance.version) == ("draft", 1)
    assert len(instance.versions) == 1
