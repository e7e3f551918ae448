"""The operations page (/admin/operations): queues, workers, periodic jobs and failed jobs, read
from a real Redis server and worked on by real RQ workers (worker.py).

Every test works on queues of its own (the Redis server may be shared with other test runs),
set as the app's RQ_QUEUES for the test and emptied afterwards.
"""

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, get_current_job
from rq.cron import CronScheduler
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select

from app.models import AuditLog
from app.services import operations
from app.tasks.queues import get_queue, redis_client
from tests.blueprints.helpers import location_path, parse
from tests.conftest import ROOT, free_port
from tests.tasks.test_maintenance import run_worker

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
PAGE = "/admin/operations"


# -- jobs the workers run (worker.py imports them from this module) --------------------------------


def echo_id(value: int) -> int:
    return value


def fail_on_purpose(household_id: int, *, version: int) -> None:
    raise RuntimeError(f"boom for household {household_id} (version {version})")


def hold_until_released(key: str) -> str:
    """Keep the worker busy until the test sets ``key`` in Redis (at most a minute)."""
    connection = get_current_job().connection
    deadline = time.monotonic() + 60
    while not connection.exists(key) and time.monotonic() < deadline:
        time.sleep(0.05)
    return key


# -- fixtures and helpers ------------------------------------------------------------------------------


def _delete_queue(connection: Redis, name: str) -> None:
    """Remove a queue, its registries and every job in them."""
    queue = Queue(name, connection=connection)
    registries = (
        queue.started_job_registry,
        queue.scheduled_job_registry,
        queue.failed_job_registry,
        queue.finished_job_registry,
        queue.deferred_job_registry,
        queue.canceled_job_registry,
    )
    for registry in registries:
        for job_id in registry.get_job_ids(cleanup=False):
            try:
                registry.remove(job_id, delete_job=True)
            except NoSuchJobError:
                registry.remove(job_id)
    queue.delete(delete_jobs=True)


@pytest.fixture
def queues(app, monkeypatch):
    """Three fresh queue names: the first two are the app's RQ_QUEUES, the third is not."""
    tag = uuid.uuid4().hex[:8]
    names = tuple(f"test-ops-{tag}-{n}" for n in ("a", "b", "outside"))
    connection = redis_client()  # the live server, even if a test points the app elsewhere
    monkeypatch.setitem(app.config, "RQ_QUEUES", names[:2])
    monkeypatch.setitem(app.config, "REPORTS_QUEUE", names[1])
    yield names
    for name in names:
        _delete_queue(connection, name)


@pytest.fixture
def admin(world, db, login_as):
    """A logged-in admin who reads the page in English (the text checks hold in any catalogue)."""
    world.users.admin.locale = "en"
    db.session.commit()
    return login_as(world.users.admin)


def _counts(page, queue: str) -> dict[str, int]:
    rows = page.find_all("tr", data_queue=queue)
    assert len(rows) == 1, f"queue {queue} is listed {len(rows)} times"
    return {
        cell.attrs["data-count"]: int(cell.text)
        for cell in rows[0].find_all("td")
        if "data-count" in cell.attrs
    }


def _zero(**counts: int) -> dict[str, int]:
    return {"queued": 0, "started": 0, "scheduled": 0, "failed": 0, "finished": 0} | counts


def _requeue_rows(db) -> list[AuditLog]:
    db.session.expire_all()
    return db.session.scalars(select(AuditLog).where(AuditLog.action == "requeue")).all()


def _failed_by_worker(app, queue: str) -> Job:
    """A job of ``queue`` that a real worker ran and that raised."""
    job = get_queue(queue).enqueue(fail_on_purpose, 42, version=7)
    result = run_worker(app, queue)
    assert result.returncode == 0, result.stderr[-2000:]
    assert job.get_status(refresh=True) == "failed", result.stdout[-2000:]
    return job


# -- queues ------------------------------------------------------------------------------------------


def test_the_page_counts_the_jobs_of_each_queue(app, admin, queues):
    first, second, outside = queues
    get_queue(first).enqueue(echo_id, 1)
    get_queue(first).enqueue(echo_id, 2)
    get_queue(first).enqueue_in(timedelta(hours=1), echo_id, 3)
    get_queue(second).enqueue(echo_id, 4)
    get_queue(outside).enqueue(echo_id, 5)
    result = run_worker(app, second)
    assert result.returncode == 0, result.stderr[-2000:]

    response = admin.get(PAGE)

    assert response.status_code == 200
    page = parse(response)
    assert _counts(page, first) == _zero(queued=2, scheduled=1)
    assert _counts(page, second) == _zero(finished=1)
    assert not page.find_all("tr", data_queue=outside), "only the application's queues are listed"
    assert "No worker is running" in page.by_id("operations-workers").text  # the burst worker is gone
    assert "No failed jobs" in page.by_id("operations-failed").text
    tab = [a for a in page.find_all("a", href=PAGE) if a.attrs.get("aria-current") == "page"]
    assert [a.text for a in tab] == ["Operations"]


def test_the_admin_tabs_link_to_the_operations_page(world, login_as):
    page = parse(login_as(world.users.admin).get("/admin/users"))
    assert page.find_all("nav", class_="tabs")[0].find_all("a", href=PAGE)


# -- workers ------------------------------------------------------------------------------------------


def _start_worker(app, queue: str) -> subprocess.Popen:
    """``python worker.py <queue>`` (not burst: it waits for work), on the test database."""
    env = os.environ | {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": "test-secret",
    }
    return subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py"), queue],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {condition.__doc__ or condition}")


def test_a_busy_worker_is_listed_with_its_current_job(app, admin, queues):
    first, _second, _outside = queues
    release = f"test-ops-release-{uuid.uuid4().hex}"
    job = get_queue(first).enqueue(hold_until_released, release)
    process = _start_worker(app, first)
    try:

        def busy():
            """the worker to take the job"""
            return [w for w in operations.workers(redis_client(), [first]) if w.state == "busy"]

        _wait_for(busy)
        page = parse(admin.get(PAGE))
        rows = page.by_id("operations-workers").find_all("tr", data_worker=busy()[0].name)
        assert len(rows) == 1
        cells = rows[0].find_all("td")
        assert cells[1].attrs["data-state"] == "busy"
        assert first in cells[2].text
        assert cells[3].attrs["data-job"] == job.id
        assert "tests.blueprints.test_admin_operations.hold_until_released" in cells[3].text
        assert _counts(page, first) == _zero(started=1)
    finally:
        redis_client().set(release, "1", ex=120)
        process.terminate()
        process.wait(timeout=30)
    assert job.get_status(refresh=True) == "finished"


# -- periodic jobs --------------------------------------------------------------------------------------


def _next_daily(hour: int, minute: int, after: datetime) -> datetime:
    candidate = after.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate if candidate > after else candidate + timedelta(days=1)


def test_the_periodic_jobs_are_listed_with_their_next_run_in_vietnam_time(admin, queues):
    before = _next_daily(2, 15, datetime.now(VIETNAM))
    page = parse(admin.get(PAGE))
    after = _next_daily(2, 15, datetime.now(VIETNAM))

    section = page.by_id("operations-schedule")
    names = {row.attrs["data-cron"] for row in section.find_all("tr") if "data-cron" in row.attrs}
    assert {"purge_sessions", "analyze_database", "deadline_reminders", "email_digest"} <= names
    cells = [cell.text for cell in section.find_all("tr", data_cron="purge_sessions")[0].find_all("td")]
    assert cells[1:4] == ["app.tasks.maintenance.purge_sessions", "default", "15 2 * * *"]
    assert cells[4] in {before.strftime("%d/%m/%Y %H:%M"), after.strftime("%d/%m/%Y %H:%M")}
    assert section.find_all("time")[0].attrs["datetime"].endswith("+07:00")


def test_next_runs_read_the_cron_fields_in_vietnam_time():
    now = datetime(2025, 3, 1, 19, 20, tzinfo=UTC)  # 02:20 on 2 March in Vietnam
    entries = {entry.name: entry for entry in operations.cron_entries(now)}
    assert entries["purge_sessions"].next_run == datetime(2025, 3, 3, 2, 15, tzinfo=VIETNAM)
    assert entries["analyze_database"].next_run == datetime(2025, 3, 2, 2, 45, tzinfo=VIETNAM)
    assert entries["email_digest"].next_run == datetime(2025, 3, 2, 6, 30, tzinfo=VIETNAM)
    assert entries["purge_sessions"].queue == "default"
    runs = [entry.next_run for entry in entries.values()]
    assert list(operations.cron_entries(now)) == sorted(entries.values(), key=lambda e: (e.next_run, e.name))
    assert all(run > now for run in runs)


def test_a_running_cron_scheduler_is_named(admin, queues):
    scheduler = CronScheduler(connection=redis_client(), name=f"test-ops-{uuid.uuid4().hex[:8]}")
    scheduler.register_birth()
    try:
        text = parse(admin.get(PAGE)).by_id("cron-schedulers").text
    finally:
        scheduler.register_death()
        redis_client().delete(scheduler.key)
    assert "Cron scheduler running" in text
    assert scheduler.name in text


# -- failed jobs ---------------------------------------------------------------------------------------


def test_a_failed_job_is_listed_and_requeued(app, db, world, admin, queues):
    first, _second, _outside = queues
    job = _failed_by_worker(app, first)

    page = parse(admin.get(PAGE))

    assert _counts(page, first) == _zero(failed=1)
    rows = page.by_id("operations-failed").find_all("tr", data_job=job.id)
    assert len(rows) == 1
    cells = [cell.text for cell in rows[0].find_all("td")]
    assert cells[0] == job.id
    assert cells[1] == "tests.blueprints.test_admin_operations.fail_on_purpose"
    assert cells[2] == "42, version=7"
    assert cells[4] == "RuntimeError: boom for household 42 (version 7)"
    assert cells[3] != "—"
    action = rows[0].find_all("form")[0].attrs["action"]
    assert action == f"/admin/operations/failed/{first}/{job.id}/requeue"

    response = admin.post_form(action)

    assert response.status_code == 303
    assert location_path(response) == PAGE
    queue = get_queue(first)
    assert queue.job_ids == [job.id]
    assert queue.failed_job_registry.get_job_count(cleanup=False) == 0
    assert job.get_status(refresh=True) == "queued"
    [row] = _requeue_rows(db)
    assert (row.actor_id, row.object_type, row.changes) == (
        world.users.admin.id,
        "rq_job",
        {"job": [None, job.id]},
    )
    after = parse(admin.get(PAGE))
    assert _counts(after, first) == _zero(queued=1)
    assert "No failed jobs" in after.by_id("operations-failed").text
    assert job.id in after.by_id("flashes").text
    assert admin.get("/admin/audit").status_code == 200


def test_requeue_answers_404_for_a_job_that_is_not_failed_in_a_listed_queue(app, db, admin, queues):
    first, second, outside = queues
    waiting = get_queue(first).enqueue(echo_id, 1)
    failed_outside = _failed_by_worker(app, outside)

    for queue, job_id in (
        (first, "no-such-job"),
        (first, waiting.id),  # queued, not failed
        (second, failed_outside.id),  # failed, but in another queue
        (outside, failed_outside.id),  # failed in a queue that is not the application's
    ):
        response = admin.post_form(f"/admin/operations/failed/{queue}/{job_id}/requeue")
        assert response.status_code == 404, (queue, job_id)

    assert get_queue(first).job_ids == [waiting.id]
    assert get_queue(outside).failed_job_registry.get_job_ids(cleanup=False) == [failed_outside.id]
    assert _requeue_rows(db) == []


@pytest.mark.parametrize("role", ["staff", "manager"])
def test_only_admins_see_the_page_or_requeue(app, db, world, login_as, queues, role):
    first, _second, _outside = queues
    job = get_queue(first).enqueue(echo_id, 1)
    get_queue(first).failed_job_registry.add(job, exc_string="Traceback\nValueError: x")
    client = login_as(getattr(world.users, role))

    assert client.get(PAGE).status_code == 403
    assert client.post_form(f"/admin/operations/failed/{first}/{job.id}/requeue").status_code == 403
    assert job.id in get_queue(first).failed_job_registry
    assert _requeue_rows(db) == []


# -- Redis down -------------------------------------------------------------------------------------------


@pytest.fixture
def redis_down(app, monkeypatch, queues):
    """The app's Redis client pointed at a port nothing listens on (set up after ``queues``,
    which keeps the live client for its cleanup)."""
    client = Redis(port=free_port(), socket_connect_timeout=1, socket_timeout=1)
    monkeypatch.setitem(app.extensions, "redis", client)
    yield
    client.close()


def test_the_page_says_so_when_redis_is_down(admin, redis_down):
    response = admin.get(PAGE)

    assert response.status_code == 200
    page = parse(response)
    assert "The job queue cannot be reached" in page.by_id("operations-unreachable").text
    for section in ("operations-queues", "operations-workers", "operations-schedule", "operations-failed"):
        assert not page.has_id(section)


def test_requeue_while_redis_is_down_says_so(db, admin, queues, redis_down):
    response = admin.post_form(
        f"/admin/operations/failed/{queues[0]}/some-job/requeue", follow_redirects=True
    )

    assert response.status_code == 200
    assert "The job queue cannot be reached; nothing was requeued" in response.get_data(as_text=True)
    assert _requeue_rows(db) == []


def test_the_service_lets_redis_errors_through_to_the_caller(app, redis_down):
    with pytest.raises(RedisError):
        operations.read_operations(redis_client(), ("default",))
