"""Reading the append-only audit log: the admin search and the history of one record.

``app.services.audit`` writes the rows; nothing here or anywhere else changes or removes one.
"""

from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, func, or_, select

from app import labels
from app.extensions import db
from app.models import (
    Assignment,
    AuditLog,
    Household,
    Member,
    Organisation,
    ReportInstance,
    SupportTask,
    TaskEvidence,
    TaskNote,
    TaskType,
    User,
)
from app.services import scope
from app.services.households import Page

#: The object types rows are written with (table names), in the order the filter offers them.
OBJECT_TYPES = (
    "households",
    "members",
    "assignments",
    "support_tasks",
    "task_notes",
    "task_evidence",
    "users",
    "organisations",
    "admin_units",
    "task_types",
    "report_instances",
    "report_definitions",
    "holidays",
    "rq_job",
)
HISTORY_LIMIT = 200
NEWEST_FIRST = (AuditLog.at.desc(), AuditLog.id.desc())


def sees_anonymous_rows(admin: User) -> bool:
    """True when the admin's scope is the top of the unit tree: it covers every unit."""
    index = scope.unit_index()
    return len(scope.scope_unit_ids(admin)) >= len(index.units)


def _scope_clause(admin: User) -> ColumnElement[bool]:
    by_actor = AuditLog.actor_id.in_(select(User.id).where(scope.scope_clause(User, admin)))
    if sees_anonymous_rows(admin):
        return or_(by_actor, AuditLog.actor_id.is_(None))
    return by_actor


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _filters(
    q: str | None,
    action: str | None,
    object_type: str | None,
    actor: str | None,
    since: date | None,
    until: date | None,
) -> list[ColumnElement[bool]]:
    conditions = []
    if q and q.strip():
        term = q.strip().lower()
        conditions.append(
            or_(
                func.lower(AuditLog.actor_name).contains(term, autoescape=True),
                AuditLog.ip.contains(term, autoescape=True),
            )
        )
    if action:
        conditions.append(AuditLog.action == action)
    if object_type:
        conditions.append(AuditLog.object_type == object_type)
    if actor and actor.strip():
        conditions.append(AuditLog.actor_name == actor.strip().lower())
    if since:
        conditions.append(AuditLog.at >= _start_of(since))
    if until:
        conditions.append(AuditLog.at < _start_of(until + timedelta(days=1)))
    return conditions


def search(
    admin: User,
    *,
    q: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """One page of the audit rows the admin may read, newest first.

    Scope: a row is shown when its actor is a user inside the admin's scope
    (``scope.scope_clause(User, admin)``: the actor's own scope unit lies in the admin's).
    Rows without an actor (failed or locked logins, where only the typed name is known) belong
    to no area, so only an admin whose scope covers the whole unit tree (the top unit) sees them.
    Rows of users outside the scope are never shown, whatever object they touched.

    :param q: free text, case-insensitive, within the actor's name or the IP address.
    :param action: exact action code (``create``, ``login_failed`` ...).
    :param object_type: exact table name (one of ``OBJECT_TYPES``).
    :param actor: a username, matched exactly (case-insensitive) against the name on the row.
    :param since: first day included; ``until``: last day included. Both are UTC days, as the
        rows store UTC.
    :param page: clamped to the existing pages.
    """
    conditions = [_scope_clause(admin), *_filters(q, action, object_type, actor, since, until)]
    total = db.session.scalar(select(func.count(AuditLog.id)).where(*conditions)) or 0
    page = min(max(1, page), max(1, -(-total // per_page)))
    rows = db.session.scalars(
        select(AuditLog)
        .where(*conditions)
        .order_by(*NEWEST_FIRST)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=list(rows), total=total, page=page, per_page=per_page)


def actions() -> list[str]:
    """Every action code the log holds, sorted (the choices of the action filter)."""
    return list(db.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))


def _about(object_type: str, ids: Select | list[int]) -> ColumnElement[bool]:
    return (AuditLog.object_type == object_type) & AuditLog.object_id.in_(ids)


def _household_rows(household_id: int) -> ColumnElement[bool]:
    # Assignments are audited on the household (app/services/responsibility.py); rows about the
    # assignment records themselves are taken too, should any be written.
    return or_(
        _about("households", [household_id]),
        _about("members", select(Member.id).where(Member.household_id == household_id)),
        _about("assignments", select(Assignment.id).where(Assignment.household_id == household_id)),
    )


def _task_rows(task_id: int) -> ColumnElement[bool]:
    # A note's row carries ``{"task_id": [None, id]}``; the notes table says the same, portably.
    return or_(
        _about("support_tasks", [task_id]),
        _about("task_notes", select(TaskNote.id).where(TaskNote.task_id == task_id)),
        _about("task_evidence", select(TaskEvidence.id).where(TaskEvidence.task_id == task_id)),
    )


def history(user: User, object_type: str, object_id: int) -> list[AuditLog]:
    """The audit rows of one household, task or report, newest first, at most ``HISTORY_LIMIT``.

    A household's history holds its own rows (edits, assignments) and its members' rows; a
    task's holds its own rows (creation, status changes) and those of its notes and evidence.

    :param object_type: ``"households"``, ``"support_tasks"`` or ``"report_instances"``.
    :raises werkzeug.exceptions.NotFound: the record is outside the user's scope or absent.
    :raises ValueError: another object type (a bug in the caller).
    """
    if object_type == "households":
        rows = _household_rows(scope.get_or_404(Household, object_id, user).id)
    elif object_type == "support_tasks":
        rows = _task_rows(scope.get_or_404(SupportTask, object_id, user).id)
    elif object_type == "report_instances":
        rows = _about("report_instances", [scope.get_or_404(ReportInstance, object_id, user).id])
    else:
        raise ValueError(f"no history for {object_type}")
    return list(db.session.scalars(select(AuditLog).where(rows).order_by(*NEWEST_FIRST).limit(HISTORY_LIMIT)))


# -- showing a row -------------------------------------------------------------------------------

#: fields holding the id of a record, and the column that names it
NAMED_BY = {
    "officer_id": User.full_name,
    "organisation_id": Organisation.name,
    "task_type_id": TaskType.name_vi,
}
UNIT_ID_FIELDS = ("unit_id", "scope_unit_id", "parent_id", "successor_id")
#: fields holding a code, and the label table (app/labels.py) that names it
CODE_TABLES = {
    "status": ("TASK_STATUSES", "STATUSES", "REPORT_STATUSES"),
    "role": ("ROLES",),
    "area": ("AREAS",),
    "relation": ("RELATIONS",),
    "sex": ("SEXES",),
    "schooling": ("SCHOOLING",),
    "kind": ("ORGANISATION_KINDS", "UNIT_KINDS"),
    "outcome_kind": ("OUTCOME_KINDS",),
}


def _values(rows: list[AuditLog], field: str) -> set:
    found = set()
    for row in rows:
        change = (row.changes or {}).get(field)
        values = change if isinstance(change, list) else [change]
        found.update(v for v in values if isinstance(v, int) and not isinstance(v, bool))
    return found


def value_names(rows: list[AuditLog]) -> dict[tuple[str, object], str]:
    """The readable name of each id and code the rows' changes hold, keyed by (field, value):
    an officer's name for ``officer_id``, a unit's for ``unit_id``, a label for a status. One
    query per kind of record for the whole page; ids no longer found keep their number."""
    names: dict[tuple[str, object], str] = {}
    for field, column in NAMED_BY.items():
        ids = _values(rows, field)
        if ids:
            model = column.class_
            for id_, name in db.session.execute(select(model.id, column).where(model.id.in_(ids))):
                names[(field, id_)] = name
    index = scope.unit_index()
    for field in UNIT_ID_FIELDS:
        for id_ in _values(rows, field):
            if id_ in index.units:
                names[(field, id_)] = index.units[id_].name
    tables = labels.translated()
    for field, table_names in CODE_TABLES.items():
        for table_name in table_names:
            for code, label in getattr(tables, table_name).items():
                names.setdefault((field, code), label)
    return names
