"""Two people change one task at the same moment: exactly one change wins, the other is told.

Real threads, each with its own application context and database session, committing to the
same database (a SQLite file, or PostgreSQL), as two gunicorn workers would.
"""

import threading

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, SupportTask, User
from app.services import tasks
from tests.factories import make_task

OUTCOME = {"outcome_card_number": "GD4069957185912"}


def _change(app, task_id: int, username: str, to: str, barrier: threading.Barrier, results: dict) -> None:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        task = db.session.get(SupportTask, task_id)
        seen = task.version
        barrier.wait()  # both have read version 1 before either writes
        try:
            tasks.change_status(user, task, to, version=seen, outcome=OUTCOME, reason="Thiếu kinh phí")
            db.session.commit()
            results[username] = "won"
        except tasks.StaleTask:
            results[username] = "stale"
        finally:
            db.session.remove()


def test_of_two_simultaneous_status_changes_exactly_one_wins(app, world):
    task = make_task(world.households.duc, world.organisations.a, status="in_progress")
    db.session.commit()
    barrier, results = threading.Barrier(2), {}
    threads = [
        threading.Thread(target=_change, args=(app, task.id, name, to, barrier, results))
        for name, to in (("supervisor.a", "done"), ("staff.t", "blocked"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results.values()) == ["stale", "won"], results
    db.session.expire_all()
    stored = db.session.get(SupportTask, task.id)
    winner = next(name for name, result in results.items() if result == "won")
    assert stored.status == {"supervisor.a": "done", "staff.t": "blocked"}[winner]
    assert stored.version == 2
    audits = db.session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.object_type == "support_tasks")
    )
    assert audits == 1  # the loser wrote nothing
