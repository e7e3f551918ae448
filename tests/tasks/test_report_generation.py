"""Scheduling and generating in process (these commit): the schedule, the compare-and-set
of a trigger, the lease, failure and retry."""

import threading
import time
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification, ReportInstance
from app.services import report_content, report_definitions, report_generation, reports, scope, stats
from app.tasks.queues import get_queue
from app.tasks.reports import schedule_reports
from tests.factories import make_report, report_definition
from tests.tasks.test_maintenance import run_worker


def test_generation_is_triggered_once_for_simultaneous_requests(app, world):
    """Two triggers from the same page: the compare-and-set lets one through."""
    report = make_report(world.commune_a, status="scheduled", versions=0)
    # what the second page saw: the same report, before the first trigger
    stale = ReportInstance(id=report.id, unit_id=report.unit_id, status="scheduled", version=0)
    report_generation.request(report, world.users.staff_a, version=0)
    assert (report.status, report.version) == ("generating", 1)
    with pytest.raises(report_generation.GenerationBusy):
        report_generation.request(stale, world.users.staff_a, version=0)


def test_a_failed_generation_keeps_its_version_and_can_be_retried(app, world):
    report = make_report(world.commune_a, status="scheduled", versions=0)
    report_generation.request(report, world.users.staff_a, version=0)
    db.session.commit()
    report_generation.failed(report.id, 1, "nobody", RuntimeError("font missing"), final=True)
    db.session.expire_all()
    report = db.session.get(ReportInstance, report.id)
    assert (report.status, report.version, report.error) == ("failed", 1, "RuntimeError: font missing")
    assert db.session.scalar(
        select(func.count()).where(
            Notification.kind == "report_failed", Notification.user_id == world.users.staff_a.id
        )
    )
    report_generation.request(report, world.users.staff_a, version=1)  # the retry button
    assert (report.status, report.version, report.error) == ("generating", 1, None)


def test_a_generation_whose_lease_another_holds_does_nothing(app, world):
    report = make_report(world.commune_a, status="scheduled", versions=0)
    report_generation.request(report, None)
    db.session.commit()
    assert report_generation._lease(report.id, 1, "first", take=True)
    assert report_generation.generate(report.id, 1, "second") == "busy"
    db.session.expire_all()
    assert db.session.get(ReportInstance, report.id).status == "generating"
    assert report_generation.generate(report.id, 2, "third") == "superseded"


@pytest.mark.parametrize(
    ("code", "period", "unit"),
    [
        ("task_progress_monthly", "2020-03", "commune_a"),
        ("programme_quarterly", "2020-Q1", "district"),
        ("review_preliminary", "2019", "district"),
        ("review_official", "2019", "district"),
        ("programme_monitoring_semiannual", "2020-H1", "district"),
    ],
)
def test_sections_read_side_by_side_give_the_snapshot_read_in_turn(
    app, world, monkeypatch, code, period, unit
):
    """REPORT_SECTION_THREADS: each section in a thread and a session of its own (what the
    workers do) or in turn in the caller's (the tests' default): the same figures, in order."""
    report = make_report(getattr(world, unit), code, period)
    db.session.commit()  # the threads' sessions see committed data only
    monkeypatch.setitem(app.config, "REPORT_SECTION_THREADS", 0)
    in_turn = report_content.build(report, issued_on=date(2020, 3, 20))
    monkeypatch.setitem(app.config, "REPORT_SECTION_THREADS", 4)
    threads = set()
    for name, section in report_content.SECTIONS.items():  # note the thread each section ran in
        monkeypatch.setitem(report_content.SECTIONS, name, tuple(spy(f, threads) for f in section))
    side_by_side = report_content.build(report, issued_on=date(2020, 3, 20))
    assert side_by_side == in_turn
    calls = len(report_content.SECTIONS[report.definition.builder])
    if calls > 1:
        assert len(threads) == calls and threading.current_thread().name not in threads
    else:  # a single section needs no thread
        assert threads == {threading.current_thread().name}
    assert len(in_turn["sections"]) >= len(report_content.SECTIONS[report.definition.builder])


@pytest.mark.parametrize("threads", [0, 4])
def test_a_report_reads_the_official_review_years_once(app, world, monkeypatch, threads):
    """Its sections (households, indicators) count from the same list of review years, read by
    the first that asks, whether they run in turn or side by side."""
    report = make_report(world.district, "programme_quarterly", "2020-Q1")
    db.session.commit()
    monkeypatch.setitem(app.config, "REPORT_SECTION_THREADS", threads)
    reads = []
    real = stats.official_years
    monkeypatch.setattr(stats, "official_years", lambda who: reads.append(who) or real(who))
    snapshot = report_content.build(report, issued_on=date(2020, 3, 20))
    assert reads == [scope.UnitScope(world.district.id)]
    assert snapshot["sections"][0]["figures"]["year"] == 2019


def spy(function, threads: set):
    def call(*args, **kwargs):
        threads.add(threading.current_thread().name)
        time.sleep(0.05)  # each thread holds its section a while: none is free to take another
        return function(*args, **kwargs)

    return call


def test_the_schedule_creates_each_obligation_once(app, world):
    definition = report_definition("task_progress_monthly")
    first = reports.schedule(date(2020, 3, 20))
    monthly = [i for i in first if i.definition_id == definition.id]
    # two communes × January, February, March 2020 (cut-offs 14 Jan, 14 Feb, 14 Mar)
    assert sorted((i.period, i.unit_id) for i in monthly) == sorted(
        (p, u.id) for p in ("2020-01", "2020-02", "2020-03") for u in (world.commune_a, world.commune_b)
    )
    march = next(i for i in monthly if i.period == "2020-03" and i.unit_id == world.commune_a.id)
    assert (march.cut_off, march.deadline) == (
        date(2020, 3, 14),
        date(2020, 3, 18),
    )  # Sat → Wed, 3 working days
    assert march.receiving_unit_id == world.district.id
    quarterly = [i for i in first if i.definition.code == "programme_quarterly"]
    assert [(i.period, i.unit_id, i.receiving_unit_id) for i in quarterly] == [
        ("2020-Q1", world.district.id, world.province.id)
    ]
    assert reports.schedule(date(2020, 3, 20)) == []  # a second run adds nothing
    assert reports.schedule(date(2020, 4, 14))  # April's cut-off has come: April's are added


def test_at_the_cut_off_real_workers_create_and_generate_the_reports_owed(app, world, tmp_path):
    """The cron job of the day's cut-offs, run by a real worker: it creates every instance owed
    by 20 March 2020 and enqueues each generation, which a worker of the reports queue runs."""
    report_definitions.seed_definitions()
    db.session.commit()
    schedule_queue, reports_queue = (f"test-{uuid.uuid4().hex[:8]}" for _ in range(2))
    env = {
        "APP_TODAY": "2020-03-20",
        "REPORTS_QUEUE": reports_queue,
        "STORAGE_DIR": str(tmp_path),
        "REPORT_LEASE_SECONDS": "30",
    }
    get_queue(schedule_queue).enqueue(schedule_reports)

    first = run_worker(app, schedule_queue, **env)
    assert first.returncode == 0, first.stderr[-3000:]
    db.session.expire_all()
    owed = db.session.scalars(select(ReportInstance).order_by(ReportInstance.id)).all()
    # two communes × January–March, and the district's first quarter
    assert sorted((i.definition.code, i.period) for i in owed) == sorted(
        [("task_progress_monthly", p) for p in ("2020-01", "2020-02", "2020-03") for _ in range(2)]
        + [("programme_quarterly", "2020-Q1")]
    )
    assert {i.status for i in owed} == {"generating"} and all(i.enqueued_at for i in owed)
    assert get_queue(reports_queue).count == len(owed)

    second = run_worker(app, reports_queue, **env)
    assert second.returncode == 0, second.stderr[-3000:]
    db.session.expire_all()
    instances = db.session.scalars(select(ReportInstance)).all()
    assert {(i.status, i.version, len(i.versions)) for i in instances} == {("draft", 1, 1)}
    assert len(list(tmp_path.glob("reports/*.pdf"))) == len(instances)
