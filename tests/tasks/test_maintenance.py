"""Housekeeping jobs, run by a real RQ worker (worker.py) against a real Redis server."""

import os
import subprocess
import sys
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from app.models import UserSession
from app.services.audit import utcnow
from app.tasks.maintenance import purge_sessions
from app.tasks.queues import get_queue
from tests.conftest import ROOT
from tests.factories import make_unit, make_user


def run_worker(app, queue: str, **extra_env: str) -> subprocess.CompletedProcess:
    """``python worker.py --burst <queue>`` in its own process, on the test database."""
    env = os.environ | {
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "SECRET_KEY": "test-secret",
        **extra_env,
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "worker.py"), "--burst", queue],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_purge_sessions_runs_in_a_real_worker(app, db):
    user = make_user("staff", make_unit("01", "Tỉnh", "province"))
    now = utcnow()
    db.session.add_all(
        [
            UserSession(
                user_id=user.id, created_at=now - timedelta(days=5), expires_at=now - timedelta(days=4)
            ),
            UserSession(
                user_id=user.id,
                created_at=now - timedelta(days=3),
                expires_at=now + timedelta(hours=1),
                revoked_at=now - timedelta(days=2),
            ),
            UserSession(user_id=user.id, created_at=now, expires_at=now + timedelta(hours=8)),
        ]
    )
    db.session.commit()
    queue_name = f"test-{uuid.uuid4().hex[:8]}"
    job = get_queue(queue_name).enqueue(purge_sessions)

    result = run_worker(app, queue_name)

    assert result.returncode == 0, result.stderr[-2000:]
    job.refresh()
    assert job.get_status() == "finished", (
        job.latest_result().exc_string if job.latest_result() else result.stdout[-3000:]
    )
    assert job.return_value() == 2
    db.session.expire_all()
    assert db.session.scalar(select(func.count(UserSession.id))) == 1


def test_the_schedule_registers_every_periodic_job():
    from rq import cron

    import app.tasks.schedule  # noqa: F401  (registers on import)

    names = {entry["name"] for entry in cron._job_data_registry}
    assert {"purge_sessions", "deadline_reminders", "email_digest"} <= names


def test_deadline_reminders_run_in_a_real_worker(app, db):
    from datetime import date

    from app.models import Notification
    from app.tasks.notifications import deadline_reminders
    from tests.factories import build_world, make_task

    world = build_world()
    make_task(
        world.households.duc, world.organisations.a, officer=world.users.supervisor_a, due=date(2000, 1, 1)
    )
    db.session.commit()
    queue_name = f"test-{uuid.uuid4().hex[:8]}"
    job = get_queue(queue_name).enqueue(deadline_reminders)

    result = run_worker(app, queue_name)

    assert result.returncode == 0, result.stderr[-2000:]
    job.refresh()
    assert job.get_status() == "finished", result.stdout[-3000:]
    assert job.return_value() == 1
    db.session.expire_all()
    assert db.session.scalars(select(Notification.kind)).all() == ["task_overdue"]
