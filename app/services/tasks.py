"""Support tasks: who may move a task where, what each move requires, and the exit path.

The workflow is one table, ``TRANSITIONS``: for each (from, to) the roles that may make that
move. A supervisor may move only tasks assigned to them or to their organisation; a manager
reads but does not change tasks. Every change is audited, and a change based on an old
version of a task is refused (``StaleTask``), so of two simultaneous changes exactly one wins.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, and_, bindparam, func, or_, select
from sqlalchemy.orm import joinedload, undefer
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import Assignment, Household, Organisation, PovertyCause, User
from app.models.tasks import OPEN_STATUSES, OutcomeKind, SupportTask, TaskNote, TaskStatus, TaskType
from app.models.users import Role
from app.services import audit, clock, notifications, responsibility, scope
from app.services.households import Page, RegistryError
from app.services.queries import count_if

S = TaskStatus
CHANGERS = frozenset({Role.STAFF, Role.SUPERVISOR, Role.ADMIN})
OFFICE = frozenset({Role.STAFF, Role.ADMIN})

#: (from, to) → the roles that may make that move
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.PLANNED, S.IN_PROGRESS): CHANGERS,
    (S.PLANNED, S.BLOCKED): CHANGERS,
    (S.PLANNED, S.DONE): CHANGERS,
    (S.PLANNED, S.CANCELLED): OFFICE,
    (S.IN_PROGRESS, S.DONE): CHANGERS,
    (S.IN_PROGRESS, S.BLOCKED): CHANGERS,
    (S.IN_PROGRESS, S.PLANNED): CHANGERS,
    (S.IN_PROGRESS, S.CANCELLED): OFFICE,
    (S.BLOCKED, S.IN_PROGRESS): CHANGERS,
    (S.BLOCKED, S.PLANNED): CHANGERS,
    (S.BLOCKED, S.CANCELLED): OFFICE,
    (S.DONE, S.IN_PROGRESS): OFFICE,  # reopened: the result did not hold
    (S.CANCELLED, S.PLANNED): OFFICE,  # restored
}

#: What each kind of outcome requires when a task is done (field → error code)
OUTCOME_FIELDS: dict[str, tuple[str, ...]] = {
    OutcomeKind.AMOUNT: ("outcome_amount", "outcome_fund_source"),
    OutcomeKind.JOB: ("outcome_employer",),
    OutcomeKind.CARD: ("outcome_card_number",),
    OutcomeKind.TEXT: ("outcome_text",),
}
OUTCOME_COLUMNS = (
    "outcome_amount",
    "outcome_fund_source",
    "outcome_employer",
    "outcome_card_number",
    "outcome_text",
)
TASK_FIELDS = (
    "title",
    "task_type_id",
    "member_id",
    "organisation_id",
    "officer_id",
    "start_date",
    "due_date",
)


class TaskError(RegistryError):
    """A rule of the task workflow refused a change; ``field`` names the culprit."""


class StaleTask(Exception):
    """The task changed since the user loaded it: reload and decide again."""


def responsible(user: User, task: SupportTask) -> bool:
    """Whether the task is the user's own or their organisation's (a supervisor's reach)."""
    return task.officer_id == user.id or (
        user.organisation_id is not None and task.organisation_id == user.organisation_id
    )


def may_change(user: User, task: SupportTask) -> bool:
    if user.role not in CHANGERS:
        return False
    return user.role != Role.SUPERVISOR or responsible(user, task)


def next_statuses(user: User, task: SupportTask) -> list[str]:
    """The statuses this user may move this task to, in workflow order."""
    if not may_change(user, task):
        return []
    return [to for to in S if user.role in TRANSITIONS.get((task.status, to), ())]


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
    return value if value not in ("", None) else None


def change_status(
    user: User,
    task: SupportTask,
    to: str,
    *,
    version: int,
    outcome: dict | None = None,
    reason: str | None = None,
    today: date | None = None,
    ip: str | None = None,
) -> SupportTask:
    """Move ``task`` to ``to`` for ``user``, from the ``version`` the user saw.

    :raises StaleTask: the task has changed since (another person moved it first).
    :raises TaskError: the move is not allowed, or what it requires is missing.
    """
    if version != task.version:
        raise StaleTask()
    if not may_change(user, task):
        raise TaskError("status", "task_not_yours")
    if user.role not in TRANSITIONS.get((task.status, to), ()):
        raise TaskError("status", "transition_not_allowed")
    before = {"status": task.status}
    reason = _clean(reason)
    if to == S.DONE:
        _apply_outcome(task, outcome or {})
        task.done_on = today or clock.today()
        before.update({"done_on": None})
    elif to in (S.CANCELLED, S.BLOCKED):
        if reason is None:
            raise TaskError("reason", "reason_required")
        before["status_reason"] = task.status_reason
        task.status_reason = reason
    if task.status == S.DONE:  # reopened
        task.done_on = None
    task.status = to
    task.updated_at = audit.utcnow()
    after = {key: getattr(task, key) for key in before}
    _flush_or_stale()
    audit.record("status", actor=user, ip=ip, obj=task, changes=audit.diff(before, after))
    notifications.status_changed(user, task, before["status"], to)
    return task


def _apply_outcome(task: SupportTask, outcome: dict) -> None:
    values = {column: _clean(outcome.get(column)) for column in OUTCOME_COLUMNS}
    amount = values["outcome_amount"]
    if amount is not None and (not isinstance(amount, int) or amount <= 0):
        raise TaskError("outcome_amount", "amount_positive")
    for column in OUTCOME_FIELDS[task.task_type.outcome_kind]:
        if values[column] is None:
            raise TaskError(column, "outcome_required")
    for column, value in values.items():
        setattr(task, column, value)


def _flush_or_stale() -> None:
    """Write now: the UPDATE carries ``AND version = :seen``; no row means someone else won."""
    try:
        db.session.flush()
    except StaleDataError as error:
        db.session.rollback()
        raise StaleTask() from error


def add_note(user: User, task: SupportTask, body: str, *, ip: str | None = None) -> TaskNote:
    """Append a progress note (anyone who may change the task, and managers, may comment)."""
    text = _clean(body)
    if text is None:
        raise TaskError("body", "note_required")
    if len(text) > 4000:
        raise TaskError("body", "note_too_long")
    if user.role == Role.SUPERVISOR and not responsible(user, task):
        raise TaskError("body", "task_not_yours")
    note = TaskNote(task=task, author_id=user.id, created_at=audit.utcnow(), body=text)
    db.session.add(note)
    db.session.flush()
    audit.record("create", actor=user, ip=ip, obj=note, changes={"task_id": [None, task.id]})
    return note


def create_task(user: User, household: Household, data: dict, *, ip: str | None = None) -> SupportTask:
    """A new planned task for a household in the user's scope (staff and admins)."""
    if user.role not in OFFICE:
        raise TaskError("task_type_id", "task_not_yours")
    task_type = db.session.get(TaskType, data.get("task_type_id"))
    if task_type is None or not task_type.active:
        raise TaskError("task_type_id", "task_type_unknown")
    try:
        organisation = responsibility.organisation_in_scope(user, data.get("organisation_id"))
        officer = responsibility.officer_in_scope(user, data.get("officer_id"))
    except RegistryError as error:
        raise TaskError(error.field, str(error)) from error
    if data.get("member_id") and data["member_id"] not in {m.id for m in household.members}:
        raise TaskError("member_id", "member_not_in_household")
    start = data.get("start_date")
    due = data.get("due_date") or (start or clock.today()) + timedelta(days=task_type.default_duration_days)
    if start and due < start:
        raise TaskError("due_date", "dates_reversed")
    now = audit.utcnow()
    task = SupportTask(
        household_id=household.id,
        member_id=data.get("member_id") or None,
        task_type_id=task_type.id,
        title=_clean(data.get("title")) or task_type.name_vi,
        organisation_id=organisation.id,
        officer_id=officer.id if officer else None,
        status=S.PLANNED,
        start_date=start,
        due_date=due,
        created_by_id=user.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(task)
    db.session.flush()
    changes = audit.diff({}, {f: getattr(task, f) for f in TASK_FIELDS})
    audit.record("create", actor=user, ip=ip, obj=task, changes=changes)
    notifications.task_assigned(user, task)
    return task


def create_tasks_for(
    user: User, household_ids: list[int], data: dict, *, follow_assignment: bool = True, ip: str | None = None
) -> list[SupportTask]:
    """The same task for many households at once (e.g. a health-insurance card for every poor
    household of a commune). With ``follow_assignment``, each task goes to the organisation and
    officer that follow its household, and to ``data``'s for a household nobody follows.
    All or nothing: one refusal and no task is created."""
    try:
        households = responsibility.households_in_scope(user, household_ids)
    except RegistryError as error:
        raise TaskError(error.field, str(error)) from error
    active = {}
    if follow_assignment:
        rows = db.session.scalars(
            select(Assignment).where(
                Assignment.household_id.in_([h.id for h in households]), Assignment.end_date.is_(None)
            )
        )
        active = {a.household_id: a for a in rows}
    created = []
    for household in households:
        assignment = active.get(household.id)
        own = data
        if assignment is not None:
            own = data | {"organisation_id": assignment.organisation_id, "officer_id": assignment.officer_id}
        created.append(create_task(user, household, own | {"member_id": None}, ip=ip))
    return created


# -- the exit path ---------------------------------------------------------------------------------


@dataclass
class ExitStep:
    """One deprivation or cause that keeps a household poor, and the tasks that address it."""

    kind: str  # "indicator" or "cause"
    code: str
    name: str
    task_types: list[TaskType]
    open_tasks: list[SupportTask]
    done_tasks: list[SupportTask]

    @property
    def addressed(self) -> bool:
        return bool(self.open_tasks or self.done_tasks)


def exit_path(household: Household, deprivations: list[tuple[str, str]]) -> list[ExitStep]:
    """For each deprivation (code, name) of the household's latest review and each of its causes,
    the task types that address it and the household's tasks of those types."""
    types = db.session.scalars(select(TaskType).where(TaskType.active).order_by(TaskType.sort_order)).all()
    tasks = db.session.scalars(
        select(SupportTask).where(SupportTask.household_id == household.id).order_by(SupportTask.due_date)
    ).all()
    steps = [
        _step("indicator", code, name, [t for t in types if code in t.indicators], tasks)
        for code, name in deprivations
    ]
    for cause in household.causes:
        steps.append(_step("cause", cause.code, cause.name_vi, _types_for_cause(types, cause), tasks))
    return steps


def _types_for_cause(types: list[TaskType], cause: PovertyCause) -> list[TaskType]:
    return [t for t in types if any(c.id == cause.id for c in t.causes)]


def _step(kind: str, code: str, name: str, types: list[TaskType], tasks: list[SupportTask]) -> ExitStep:
    ids = {t.id for t in types}
    mine = [t for t in tasks if t.task_type_id in ids]
    return ExitStep(
        kind,
        code,
        name,
        types,
        open_tasks=[t for t in mine if t.status in OPEN_STATUSES],
        done_tasks=[t for t in mine if t.status == S.DONE],
    )


# -- lists ------------------------------------------------------------------------------------------

DUE_SOON_DAYS = 7
_IS_OPEN = SupportTask.status.in_([s.value for s in OPEN_STATUSES])
SORTS = {
    "due": (SupportTask.due_date, SupportTask.id),
    "-due": (SupportTask.due_date.desc(), SupportTask.id.desc()),
    "household": (Household.code, SupportTask.due_date),
    "status": (SupportTask.status, SupportTask.due_date),
}
#: The deadline as a sort key no index offers: a narrowed list (a commune's few hundred tasks)
#: is found through its households and then sorted, where walking the whole (due_date, id)
#: index and filtering would visit thousands of rows (PostgreSQL's plan: 55 ms instead of 2).
_DUE_KEY = func.coalesce(SupportTask.due_date, SupportTask.due_date)
_NARROW_SORTS = SORTS | {
    "due": (_DUE_KEY, SupportTask.id),
    "-due": (_DUE_KEY.desc(), SupportTask.id.desc()),
}


#: What a task's row shows besides the task: loaded with it, not one query per row and relation
ROW_LOADS = (
    joinedload(SupportTask.household),
    joinedload(SupportTask.task_type),
    joinedload(SupportTask.officer),
    joinedload(SupportTask.organisation),
    undefer(SupportTask.note_count),
)


@dataclass
class TaskFilter:
    unit_id: int | None = None
    status: str | None = None
    type_id: int | None = None
    officer_id: int | None = None
    overdue: bool = False
    due_soon: bool = False
    mine: bool = False  # the user's own tasks (a supervisor's: theirs or their organisation's)
    sort: str = "due"
    page: int = 1
    per_page: int = 25


def _mine(user: User):
    if user.role == Role.SUPERVISOR and user.organisation_id is not None:
        return or_(SupportTask.officer_id == user.id, SupportTask.organisation_id == user.organisation_id)
    return SupportTask.officer_id == user.id


def _task_conditions(user: User, flt: TaskFilter, today: date) -> list:
    if flt.unit_id is not None:
        units = scope.scope_unit_ids(user) & scope.unit_index().family(flt.unit_id)
        conditions = [scope.scope_clause(SupportTask, user, units)]
    else:
        conditions = [scope.scope_clause(SupportTask, user)]
    if flt.mine:
        conditions.append(_mine(user))
    if flt.status:
        conditions.append(SupportTask.status == flt.status)
    if flt.type_id:
        conditions.append(SupportTask.task_type_id == flt.type_id)
    if flt.officer_id:
        conditions.append(SupportTask.officer_id == flt.officer_id)
    if flt.overdue:
        conditions += [_IS_OPEN, SupportTask.due_date < today]
    if flt.due_soon:
        conditions += [_IS_OPEN, SupportTask.due_date.between(today, today + timedelta(days=DUE_SOON_DAYS))]
    return conditions


def search_tasks(user: User, flt: TaskFilter, today: date) -> Page:
    """One page of the tasks in the user's scope that match ``flt``, with what a row shows.

    The page's ids are found first, on the narrow task rows alone (an index walk for the
    default order), and only those 25 tasks are then loaded with their household, type,
    officer, organisation and notes: sorting and skipping the wide joined rows of a whole
    province cost seconds on a deep page.
    """
    conditions = _task_conditions(user, flt, today)
    total = db.session.scalar(select(func.count()).select_from(SupportTask).where(*conditions))
    page = min(max(1, flt.page), max(1, -(-total // flt.per_page)))
    whole = flt.unit_id is None and not flt.mine and scope.covers_every_unit(user)
    sorts = SORTS if whole else _NARROW_SORTS
    order = sorts.get(flt.sort, sorts["due"])
    ids = select(SupportTask.id)
    if flt.sort == "household":
        ids = ids.join(Household)
    ids = db.session.scalars(
        ids.where(*conditions).order_by(*order).limit(flt.per_page).offset((page - 1) * flt.per_page)
    ).all()
    rows = db.session.scalars(select(SupportTask).where(SupportTask.id.in_(ids)).options(*ROW_LOADS)).all()
    position = {task_id: i for i, task_id in enumerate(ids)}
    return Page(sorted(rows, key=lambda t: position[t.id]), total, page, flt.per_page)


@dataclass
class TaskCounts:
    open: int = 0
    overdue: int = 0
    due_soon: int = 0
    done: int = 0


#: The counters' aggregates, built once: a day's bounds are bound at each use.
_TODAY = bindparam("today", type_=Date)
_SOON_END = bindparam("soon_end", type_=Date)
_COUNTERS = {
    "open": _IS_OPEN,
    "overdue": and_(_IS_OPEN, SupportTask.due_date < _TODAY),
    "due_soon": and_(_IS_OPEN, SupportTask.due_date.between(_TODAY, _SOON_END)),
    "done": SupportTask.status == S.DONE.value,
}
_COUNT_ALL = select(*(count_if(c) for c in _COUNTERS.values())).select_from(SupportTask)
_COUNT_EACH = [select(func.count()).select_from(SupportTask).where(c) for c in _COUNTERS.values()]


def task_counts(user: User, today: date, *, mine: bool = False) -> TaskCounts:
    """Open, overdue, due within a week and done: the counters above a task list.

    Over a scope of some units, one pass over their tasks. Over every unit (a province's
    60,000 tasks) a pass costs ~45 ms, so each counter is then counted on its own from the
    (status, due date) index instead: four index ranges, a few ms.
    """
    bounds = {"today": today, "soon_end": today + timedelta(days=DUE_SOON_DAYS)}
    if not mine and scope.covers_every_unit(user):
        return TaskCounts(*(db.session.scalar(stmt, bounds) for stmt in _COUNT_EACH))
    conditions = [scope.scope_clause(SupportTask, user)]
    if mine:
        conditions.append(_mine(user))
    row = db.session.execute(_COUNT_ALL.where(*conditions), bounds).one()
    return TaskCounts(*(int(n or 0) for n in row))


def load_task(user: User, task_id: int) -> SupportTask:
    """The task if it is in the user's scope (else 404)."""
    return scope.get_or_404(SupportTask, task_id, user)


def load_task_row(user: User, task_id: int) -> SupportTask:
    """The task with what its row shows (one query, not one per relation), if in scope."""
    return scope.get_or_404(SupportTask, task_id, user, *ROW_LOADS)


def household_tasks(user: User, household: Household) -> list[SupportTask]:
    """Every task of a household in scope, open ones first by deadline, then the closed ones."""
    closed = SupportTask.status.in_([S.DONE.value, S.CANCELLED.value])
    return list(
        db.session.scalars(
            scope.scoped(SupportTask, user)
            .where(SupportTask.household_id == household.id)
            .options(*ROW_LOADS)
            .order_by(closed, SupportTask.due_date, SupportTask.id)
        ).unique()
    )


def assignable(user: User) -> tuple[list[Organisation], list[User]]:
    """Active organisations and officers (staff and supervisors) a task of this user may name."""
    organisations = db.session.scalars(
        scope.scoped(Organisation, user).where(Organisation.active).order_by(Organisation.name)
    ).all()
    officers = db.session.scalars(
        select(User).where(*responsibility.officer_conditions(user)).order_by(User.full_name)
    ).all()
    return list(organisations), list(officers)


def officer_names(
    user: User, unit_id: int | None = None, *, officer_id: int | None = None, limit: int | None = None
) -> list[tuple[int, str]]:
    """(id, full name) of the officers in the user's area, or of one unit of it (the unit, what
    lies beneath it and what merged into it), or the one ``officer_id``, by name, at most
    ``limit``: a filter's choices, without loading a province's ~500 users as objects."""
    conditions = responsibility.officer_conditions(user)
    if unit_id is not None:
        units = scope.scope_unit_ids(user) & scope.unit_index().family(unit_id)
        conditions.append(User.scope_unit_id.in_(units))
    if officer_id is not None:
        conditions.append(User.id == officer_id)
    stmt = select(User.id, User.full_name).where(*conditions).order_by(User.full_name).limit(limit)
    return [tuple(row) for row in db.session.execute(stmt)]


def export_rows(user: User, flt: TaskFilter, today: date, limit: int) -> list:
    """Every task in scope matching ``flt`` (as the list filters it on ``today``), by due date, at
    most ``limit`` + 1: household code, head's name, village id, type, title, organisation,
    officer, start, due, status, done on, amount, fund source, employer."""
    stmt = (
        select(
            Household.code,
            Household.head_name,
            Household.unit_id,
            TaskType.name_vi,
            SupportTask.title,
            Organisation.name,
            User.full_name,
            SupportTask.start_date,
            SupportTask.due_date,
            SupportTask.status,
            SupportTask.done_on,
            SupportTask.outcome_amount,
            SupportTask.outcome_fund_source,
            SupportTask.outcome_employer,
        )
        .select_from(SupportTask)
        .join(Household, Household.id == SupportTask.household_id)
        .join(TaskType, TaskType.id == SupportTask.task_type_id)
        .join(Organisation, Organisation.id == SupportTask.organisation_id)
        .outerjoin(User, User.id == SupportTask.officer_id)
        .where(*_task_conditions(user, flt, today))
        .order_by(SupportTask.due_date, SupportTask.id)
        .limit(limit + 1)
    )
    return db.session.execute(stmt).all()
