"""Notifications: the events a user should hear about, and their in-app centre.

Events are recorded where they happen (an assignment, a new task, a status change, a user
deactivated) and by a daily job for deadlines; the text is rendered in the reader's language
when shown (``labels.NOTIFICATIONS``). A user never gets a notification of their own action.
"""

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Assignment, Household, Notification, User
from app.models.tasks import OPEN_STATUSES, SupportTask
from app.models.users import Role
from app.services import audit, clock, scope
from app.services.households import Page

DUE_SOON_DAYS = 3
REMINDERS = ("task_due_soon", "task_overdue")


def notify(
    user_ids: Iterable[int | None],
    kind: str,
    params: dict,
    *,
    link: str | None = None,
    actor: User | None = None,
    dedupe_key: str | None = None,
    seen: set[str] | None = None,
) -> int:
    """One notification per user (the actor excepted). With ``dedupe_key``, each user gets it at
    most once (the key is unique per user); ``seen`` is the set of keys already given, if known."""
    actor_id = actor.id if actor else None
    now = audit.utcnow()
    added = 0
    for user_id in sorted({i for i in user_ids if i is not None and i != actor_id}):
        key = f"{dedupe_key}:{user_id}" if dedupe_key else None
        if key is not None:
            if seen is None:
                seen = set(
                    db.session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key == key))
                )
            if key in seen:
                continue
            seen.add(key)
        db.session.add(
            Notification(user_id=user_id, kind=kind, params=params, link=link, created_at=now, dedupe_key=key)
        )
        added += 1
    return added


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def recent(user: User, page: int = 1, per_page: int = 30) -> Page:
    total = db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == user.id)
    )
    page = min(max(1, page), max(1, -(-total // per_page)))
    items = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(list(items), total, page, per_page)


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications, or all of them, as read; returns how many changed."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return db.session.execute(stmt.values(read_at=audit.utcnow())).rowcount


def own(user: User, notification_id: int) -> Notification | None:
    row = db.session.get(Notification, notification_id)
    return row if row is not None and row.user_id == user.id else None


# -- events ------------------------------------------------------------------------------------------


def households_assigned(actor: User, officer_id: int | None, households: list[Household]) -> None:
    if not households or officer_id is None:
        return
    first = households[0]
    link = f"/households/{first.id}" if len(households) == 1 else "/responsibility/workload"
    params = {"n": len(households), "code": first.code, "head": first.head_name}
    notify([officer_id], "household_assigned", params, link=link, actor=actor)


def task_assigned(actor: User, task: SupportTask) -> None:
    params = {"title": task.title, "code": task.household.code, "due": task.due_date.isoformat()}
    notify(
        [task.officer_id], "task_assigned", params, link=f"/households/{task.household_id}#tasks", actor=actor
    )


def status_changed(actor: User, task: SupportTask, old: str, new: str) -> None:
    """To whoever follows the task's household (its active assignment's officer)."""
    officer_id = db.session.scalar(
        select(Assignment.officer_id).where(
            Assignment.household_id == task.household_id, Assignment.end_date.is_(None)
        )
    )
    params = {"title": task.title, "code": task.household.code, "old": old, "new": new}
    notify([officer_id], "status_changed", params, link=f"/households/{task.household_id}#tasks", actor=actor)


def user_deactivated(actor: User, user: User) -> None:
    """To the active staff whose area contains the deactivated user's: their households need a handover."""
    index = scope.unit_index()
    orphaned = db.session.scalar(
        select(func.count())
        .select_from(Assignment)
        .where(Assignment.officer_id == user.id, Assignment.end_date.is_(None))
    )
    staff = db.session.execute(
        select(User.id, User.scope_unit_id).where(User.active, User.role == Role.STAFF)
    ).all()
    targets = [uid for uid, unit_id in staff if user.scope_unit_id in index.family(unit_id)]
    params = {"name": user.full_name, "username": user.username, "n": orphaned}
    notify(targets, "user_deactivated", params, link="/responsibility/coverage", actor=actor)


def deadline_reminders(today: date | None = None) -> int:
    """Open tasks due within 3 days, and open tasks past due: each said once to its officer.
    ``today`` defaults to the application's (app/services/clock.py)."""
    today = today or clock.today()
    soon = today + timedelta(days=DUE_SOON_DAYS)
    rows = db.session.execute(
        select(
            SupportTask.id,
            SupportTask.officer_id,
            SupportTask.title,
            SupportTask.due_date,
            SupportTask.household_id,
        )
        .where(
            SupportTask.status.in_([s.value for s in OPEN_STATUSES]),
            SupportTask.officer_id.is_not(None),
            SupportTask.due_date <= soon,
        )
        .order_by(SupportTask.id)
    ).all()
    seen = set(db.session.scalars(select(Notification.dedupe_key).where(Notification.kind.in_(REMINDERS))))
    added = 0
    for task_id, officer_id, title, due, household_id in rows:
        kind = "task_overdue" if due < today else "task_due_soon"
        key = f"{kind}:{task_id}:{due.isoformat()}"
        params = {"title": title, "due": due.isoformat()}
        link = f"/households/{household_id}#tasks"
        added += notify([officer_id], kind, params, link=link, dedupe_key=key, seen=seen)
    return added
