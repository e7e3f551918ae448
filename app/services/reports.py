"""Periodic reports: the calendar made concrete (one instance per definition, period and unit),
the submit → approve | return workflow, and what each user may see and do.

Who does what (``ACTIONS``): staff of the submitting unit (scope containing it) generate and
submit; managers of the receiving unit (scope containing it), never the submitter, approve or
return; a manager or admin reopens an approved report with a reason. Generation itself, with
its lease and files, is in ``report_generation``.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Holiday, ReportDeadline, ReportDefinition, ReportInstance, User
from app.models.reports import ReportStatus as R
from app.models.units import COMMUNE_LEVEL_KINDS
from app.models.users import Role
from app.services import audit, clock, notifications, scope
from app.services import report_calendar as cal

#: the unit kinds of each reporting level
LEVEL_KINDS: dict[str, tuple[str, ...]] = {
    "commune": tuple(COMMUNE_LEVEL_KINDS),
    "district": ("district",),
    "province": ("province",),
}
#: statuses from which a new generation may start
GENERATABLE = (R.SCHEDULED, R.FAILED, R.DRAFT, R.RETURNED)
#: what a report's workflow allows: action → (statuses it starts from, roles that may do it)
ACTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "generate": (GENERATABLE, (Role.STAFF, Role.ADMIN)),
    "submit": ((R.DRAFT, R.RETURNED), (Role.STAFF,)),
    "approve": ((R.SUBMITTED,), (Role.MANAGER,)),
    "return": ((R.SUBMITTED,), (Role.MANAGER,)),
    "reopen": ((R.APPROVED,), (Role.MANAGER, Role.ADMIN)),
}


class ReportError(Exception):
    """A refused action; ``str(error)`` is a key of ``labels.MESSAGES``."""

    def __init__(self, code: str, field: str | None = None):
        super().__init__(code)
        self.field = field


class StaleReport(ReportError):
    """The report changed since the page the user acted from (another person acted first)."""

    def __init__(self):
        super().__init__("report_changed")


# -- the calendar, made concrete -----------------------------------------------------------------


def holidays() -> set[date]:
    return set(db.session.scalars(select(Holiday.day)))


def definition_period(definition: ReportDefinition, key: str) -> cal.Period:
    """The period ``key`` of ``definition``, with its fixed cut-off where it has one."""
    period = cal.period(definition.frequency, key)
    if definition.cutoff_month is not None:
        period = cal.with_cut_off(period, definition.cutoff_month, definition.cutoff_day)
    return period


def deadline_of(rule: ReportDeadline, period: cal.Period, days_off: Collection[date]) -> date:
    if rule.working_days is not None:
        return cal.deadline_after(period.cut_off, rule.working_days, days_off)
    return cal.fixed_deadline(period.year, rule.fixed_month, rule.fixed_day, days_off)


@dataclass(frozen=True)
class Obligation:
    unit: scope.Unit
    receiving_unit: scope.Unit | None
    deadline: date


def obligations(
    definition: ReportDefinition, period: cal.Period, days_off: Collection[date]
) -> list[Obligation]:
    """Every unit that owes ``definition`` for ``period``: the units of each deadline level valid
    on the cut-off, each with the unit above it that receives the report, and its deadline."""
    index = scope.unit_index()
    owed = []
    for rule in definition.deadlines:
        kinds, receiving_kinds = LEVEL_KINDS[rule.level], LEVEL_KINDS[rule.receiving_level]
        deadline = deadline_of(rule, period, days_off)
        for unit in sorted(index.units.values(), key=lambda u: u.code):
            if unit.kind in kinds and unit.is_valid_on(period.cut_off):
                above = next(
                    (u for u in reversed(index.ancestors(unit.id)) if u.kind in receiving_kinds), None
                )
                owed.append(Obligation(unit, above, deadline))
    return owed


def _due_periods(definition: ReportDefinition, today: date) -> list[cal.Period]:
    """The periods of ``definition`` whose cut-off has come, from its first one to ``today``."""
    first, periods = definition.starts_on, []
    period = definition_period(definition, cal.period_of(definition.frequency, first).key)
    while period.cut_off <= today:
        if period.cut_off >= first:
            periods.append(period)
        period = definition_period(definition, cal.next_period(period).key)
    return periods


def schedule(today: date | None = None, *, through: date | None = None) -> list[ReportInstance]:
    """Create the instances owed for every period whose cut-off has come, or comes by ``through``
    (the calendar ahead), idempotently: the database keeps one per definition, period and unit,
    so two schedulers racing add each once. Returns those added; the caller commits, and
    generation follows at each cut-off (``awaiting_generation``)."""
    today = through or today or clock.today()
    days_off = holidays()
    now = audit.utcnow()
    added = []
    definitions = db.session.scalars(select(ReportDefinition).where(ReportDefinition.active)).all()
    for definition in definitions:
        periods = _due_periods(definition, today)
        if not periods:
            continue
        existing = set(
            db.session.execute(
                select(ReportInstance.period, ReportInstance.unit_id).where(
                    ReportInstance.definition_id == definition.id
                )
            ).tuples()
        )
        for period in periods:
            for owed in obligations(definition, period, days_off):
                if (period.key, owed.unit.id) in existing:
                    continue
                instance = ReportInstance(
                    definition_id=definition.id,
                    period=period.key,
                    unit_id=owed.unit.id,
                    receiving_unit_id=owed.receiving_unit.id if owed.receiving_unit else None,
                    period_start=period.start,
                    cut_off=period.cut_off,
                    deadline=owed.deadline,
                    status=R.SCHEDULED,
                    version=0,
                    attempts=0,
                    created_at=now,
                    updated_at=now,
                )
                try:
                    with db.session.begin_nested():
                        db.session.add(instance)
                except IntegrityError:  # another scheduler added it first
                    continue
                added.append(instance)
    return added


def awaiting_generation(today: date | None = None) -> list[ReportInstance]:
    """Instances whose cut-off has passed and that were never generated."""
    today = today or clock.today()
    return list(
        db.session.scalars(
            select(ReportInstance)
            .where(ReportInstance.status == R.SCHEDULED, ReportInstance.cut_off <= today)
            .order_by(ReportInstance.cut_off, ReportInstance.id)
        )
    )


# -- who may see and do what ---------------------------------------------------------------------


def scoped_instances(user: User):
    """``select(ReportInstance)`` within the user's scope: the reports of units in it."""
    return select(ReportInstance).where(scope.scope_clause(ReportInstance, user))


def load(user: User, instance_id: int) -> ReportInstance:
    """The instance if in the user's scope, else 404."""
    return scope.get_or_404(ReportInstance, instance_id, user)


def _receives(user: User, instance: ReportInstance) -> bool:
    return instance.receiving_unit_id is not None and instance.receiving_unit_id in scope.scope_unit_ids(user)


def may(user: User, action: str, instance: ReportInstance) -> bool:
    """Whether ``user`` may take ``action`` on ``instance`` now (the one table, ``ACTIONS``)."""
    statuses, roles = ACTIONS[action]
    if instance.status not in statuses or user.role not in roles:
        return False
    if action in ("generate", "submit"):
        return instance.unit_id in scope.scope_unit_ids(user)
    if action in ("approve", "return"):
        return _receives(user, instance) and instance.submitted_by_id != user.id
    return _receives(user, instance) or user.role == Role.ADMIN  # reopen


def actions(user: User, instance: ReportInstance) -> list[str]:
    return [action for action in ACTIONS if may(user, action, instance)]


def check_allowed(user: User, action: str, instance: ReportInstance, version: int | None) -> None:
    """Refuse ``action`` unless ``user`` may take it on ``instance`` now, from the ``version``
    their page showed (None: no version to compare).

    :raises StaleReport: the instance has moved on since ``version``.
    :raises ReportError: the action is not the user's to take (``report_own_submission`` when a
        manager would decide on what they submitted).
    """
    if version is not None and version != instance.version:
        raise StaleReport()
    if not may(user, action, instance):
        if action in ("approve", "return") and instance.submitted_by_id == user.id:
            raise ReportError("report_own_submission")
        raise ReportError("report_action_not_allowed")


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# -- the workflow ------------------------------------------------------------------------------


def preparers(instance: ReportInstance) -> list[int]:
    """The staff who prepare ``instance``: those whose scope is the submitting unit, or failing
    that the nearest unit above it that has staff (the commune's officers, else the district's)."""
    index = scope.unit_index()
    units = [instance.unit_id, *(u.id for u in reversed(index.ancestors(instance.unit_id)))]
    rows = db.session.execute(
        select(User.id, User.scope_unit_id).where(
            User.role == Role.STAFF, User.active, User.scope_unit_id.in_(units)
        )
    ).all()
    nearest = min((units.index(unit_id) for _id, unit_id in rows), default=None)
    return [user_id for user_id, unit_id in rows if units.index(unit_id) == nearest]


def approvers(instance: ReportInstance) -> list[int]:
    """Managers whose scope holds the receiving unit."""
    if instance.receiving_unit_id is None:
        return []
    index = scope.unit_index()
    units = [instance.receiving_unit_id, *(u.id for u in index.ancestors(instance.receiving_unit_id))]
    return list(
        db.session.scalars(
            select(User.id).where(User.role == Role.MANAGER, User.active, User.scope_unit_id.in_(units))
        )
    )


def _params(instance: ReportInstance) -> dict:
    return {"report": instance.definition.name, "period": instance.period, "unit": instance.unit.name}


def notify_about(
    instance: ReportInstance, kind: str, user_ids: list[int], actor: User | None = None, **extra
) -> None:
    """Tell ``user_ids`` (never the actor) about ``instance``: its report, period and unit, and ``extra``."""
    notifications.notify(
        user_ids, kind, _params(instance) | extra, link=f"/reports/{instance.id}", actor=actor
    )


#: what the audit row of a workflow step keeps (its time and actor are the row's own)
AUDITED = ("status", "version", "commentary", "decision_comment")


def _move(user: User, instance: ReportInstance, action: str, ip: str | None, **changes) -> None:
    before = {key: getattr(instance, key) for key in AUDITED}
    for key, value in changes.items():
        setattr(instance, key, value)
    instance.updated_at = audit.utcnow()
    audit.record(
        action,
        actor=user,
        ip=ip,
        obj=instance,
        changes=audit.diff(before, {key: getattr(instance, key) for key in AUDITED}),
    )


def submit(
    user: User,
    instance: ReportInstance,
    commentary: str | None,
    *,
    version: int | None,
    ip: str | None = None,
) -> None:
    """Submit the current version with the preparer's commentary (required when resubmitting a
    returned report: it says what was changed)."""
    check_allowed(user, "submit", instance, version)
    commentary = _text(commentary)
    if instance.status == R.RETURNED and commentary is None:
        raise ReportError("report_commentary_required", "commentary")
    now = audit.utcnow()
    current = instance.versions[-1]
    current.commentary, current.submitted_at = commentary, now
    _move(
        user,
        instance,
        "submit",
        ip,
        status=R.SUBMITTED,
        commentary=commentary,
        submitted_at=now,
        submitted_by_id=user.id,
        first_submitted_at=instance.first_submitted_at or now,
        decided_at=None,
        decided_by_id=None,
        decision_comment=None,
    )
    notify_about(instance, "report_submitted", approvers(instance), user)


def decide(
    user: User,
    instance: ReportInstance,
    action: str,
    comment: str | None,
    *,
    version: int | None,
    ip: str | None = None,
) -> None:
    """Approve (locks the report) or return it to its preparer; a return needs a comment."""
    check_allowed(user, action, instance, version)
    comment = _text(comment)
    if action == "return" and comment is None:
        raise ReportError("report_comment_required", "comment")
    now = audit.utcnow()
    status = R.APPROVED if action == "approve" else R.RETURNED
    current = instance.versions[-1]
    current.decision, current.decision_comment = status, comment
    _move(
        user,
        instance,
        action,
        ip,
        status=status,
        decided_at=now,
        decided_by_id=user.id,
        decision_comment=comment,
    )
    kind = "report_approved" if action == "approve" else "report_returned"
    notify_about(instance, kind, [instance.submitted_by_id, *preparers(instance)], user)


def reopen(
    user: User, instance: ReportInstance, reason: str | None, *, version: int | None, ip: str | None = None
) -> None:
    """Unlock an approved report for changes (back to draft), with a reason; audited and notified."""
    check_allowed(user, "reopen", instance, version)
    reason = _text(reason)
    if reason is None:
        raise ReportError("reason_required", "reason")
    _move(
        user,
        instance,
        "reopen",
        ip,
        status=R.DRAFT,
        decision_comment=reason,
        decided_at=audit.utcnow(),
        decided_by_id=user.id,
    )
    notify_about(
        instance,
        "report_reopened",
        [instance.submitted_by_id, *preparers(instance), *approvers(instance)],
        user,
        reason=reason,
    )


def generated(instance: ReportInstance) -> None:
    """Tell the preparers a report is ready (called by the job once the files are stored)."""
    notify_about(instance, "report_generated", preparers(instance), version=instance.version)


# -- deadlines ---------------------------------------------------------------------------------

#: days before a deadline on which the preparers are reminded
REMIND_DAYS = (3, 1)
#: statuses in which a report is still owed
OWED = (R.SCHEDULED, R.GENERATING, R.FAILED, R.DRAFT, R.RETURNED)


def remind(today: date | None = None) -> int:
    """Remind the preparers of reports still owed 3 days and 1 day before the deadline (once each)."""
    today = today or clock.today()
    sent = 0
    for days in REMIND_DAYS:
        due = db.session.scalars(
            select(ReportInstance).where(
                ReportInstance.deadline == date.fromordinal(today.toordinal() + days),
                ReportInstance.status.in_(OWED),
            )
        ).all()
        for instance in due:
            sent += notifications.notify(
                preparers(instance),
                "report_due_soon",
                _params(instance) | {"days": days, "deadline": instance.deadline.isoformat()},
                link=f"/reports/{instance.id}",
                dedupe_key=f"report-due-{instance.id}-{days}",
            )
    return sent


def mark_overdue(today: date | None = None) -> int:
    """From the day after its deadline, a report not yet submitted is marked overdue (once), and its
    preparers and approvers are told."""
    today = today or clock.today()
    late = db.session.scalars(
        select(ReportInstance).where(
            ReportInstance.deadline < today,
            ReportInstance.overdue_on.is_(None),
            ReportInstance.first_submitted_at.is_(None),
            ReportInstance.status.in_(OWED),
        )
    ).all()
    for instance in late:
        instance.overdue_on = today
        notifications.notify(
            [*preparers(instance), *approvers(instance)],
            "report_overdue",
            _params(instance) | {"deadline": instance.deadline.isoformat()},
            link=f"/reports/{instance.id}",
            dedupe_key=f"report-overdue-{instance.id}",
        )
    return len(late)


# -- lists and compliance ----------------------------------------------------------------------

VIEWS = ("due", "inbox", "all")


@dataclass
class ReportFilter:
    #: due: what the user's units still owe within a month (or are late with); inbox: submitted
    #: to the user for a decision; all: every report
    view: str = "all"
    definition_id: int | None = None
    unit_id: int | None = None
    status: str | None = None
    period: str | None = None
    page: int = 1
    per_page: int = 25


#: "due" lists what is owed with a deadline within this many days (and everything overdue)
DUE_WITHIN_DAYS = 31


def _view_conditions(user: User, view: str) -> list:
    if view == "due":
        horizon = clock.today() + timedelta(days=DUE_WITHIN_DAYS)
        return [ReportInstance.status.in_(OWED), ReportInstance.deadline <= horizon]
    if view == "inbox":
        receiving = scope.scope_unit_ids(user)
        return [
            ReportInstance.status == R.SUBMITTED,
            ReportInstance.receiving_unit_id.in_(sorted(receiving)),
            ReportInstance.submitted_by_id.is_distinct_from(user.id),
        ]
    return []


def search(user: User, flt: ReportFilter):
    """A page of the instances in scope matching ``flt``: owed ones by deadline, others latest first."""
    from app.services.households import Page

    conditions = [scope.scope_clause(ReportInstance, user), *_view_conditions(user, flt.view)]
    if flt.definition_id:
        conditions.append(ReportInstance.definition_id == flt.definition_id)
    if flt.unit_id:
        conditions.append(ReportInstance.unit_id == flt.unit_id)
    if flt.status:
        conditions.append(ReportInstance.status == flt.status)
    if flt.period:
        conditions.append(ReportInstance.period == flt.period)
    total = db.session.scalar(select(func.count(ReportInstance.id)).where(*conditions))
    order = (
        (ReportInstance.deadline, ReportInstance.id)
        if flt.view in ("due", "inbox")
        else (ReportInstance.cut_off.desc(), ReportInstance.definition_id, ReportInstance.unit_id)
    )
    items = db.session.scalars(
        select(ReportInstance)
        .where(*conditions)
        .options(joinedload(ReportInstance.definition), joinedload(ReportInstance.unit))
        .order_by(*order)
        .limit(flt.per_page)
        .offset((flt.page - 1) * flt.per_page)
    ).all()
    return Page(items=list(items), total=total, page=flt.page, per_page=flt.per_page)


def periods_in_scope(user: User) -> list[str]:
    """The periods of the reports in the user's scope, the latest cut-off first."""
    rows = db.session.execute(
        select(ReportInstance.period, func.max(ReportInstance.cut_off))
        .where(scope.scope_clause(ReportInstance, user))
        .group_by(ReportInstance.period)
        .order_by(func.max(ReportInstance.cut_off).desc(), ReportInstance.period)
    )
    return [period for period, _cut_off in rows]


def count_view(user: User, view: str) -> int:
    return db.session.scalar(
        select(func.count(ReportInstance.id)).where(
            scope.scope_clause(ReportInstance, user), *_view_conditions(user, view)
        )
    )


class Timeliness(StrEnum):
    """Where one instance stands for the compliance view (on time = first submitted by the deadline)."""

    APPROVED = "approved"
    RETURNED = "returned"
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    PENDING = "pending"  # not submitted yet, the deadline not passed


def timeliness(instance: ReportInstance, today: date) -> Timeliness:
    if instance.status == R.APPROVED:
        return Timeliness.APPROVED
    if instance.status == R.RETURNED:
        return Timeliness.RETURNED
    if instance.first_submitted_at is not None:
        return Timeliness.ON_TIME if on_time(instance) else Timeliness.LATE
    return Timeliness.MISSING if instance.deadline < today else Timeliness.PENDING


def on_time(instance: ReportInstance) -> bool:
    """First submitted by the end of the deadline day (in Vietnam's time: timestamps are UTC)."""
    if instance.first_submitted_at is None:
        return False
    local = instance.first_submitted_at + timedelta(hours=7)
    return local.date() <= instance.deadline


@dataclass
class Compliance:
    """One definition's instances as units × periods, with the reporting and on-time rates.

    Expected reports are those whose deadline has passed or which were submitted anyway;
    reporting rate = submitted / expected; on-time rate = first submitted by the deadline / expected.
    """

    definition: ReportDefinition
    periods: list[str]
    units: list[scope.Unit]
    cells: dict[tuple[int, str], ReportInstance]
    states: dict[tuple[int, str], Timeliness]
    expected: int
    submitted: int
    timely: int

    @property
    def reporting_rate(self) -> Decimal | None:
        return _rate(self.submitted, self.expected)

    @property
    def on_time_rate(self) -> Decimal | None:
        return _rate(self.timely, self.expected)

    def late_units(self) -> list[scope.Unit]:
        """Units with a report missing, late or returned: who is behind."""
        behind = {Timeliness.MISSING, Timeliness.LATE, Timeliness.RETURNED}
        return [u for u in self.units if any(self.states.get((u.id, p)) in behind for p in self.periods)]


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def compliance(
    user: User,
    definition: ReportDefinition,
    year: int | None = None,
    today: date | None = None,
    *,
    period: str | None = None,
) -> Compliance:
    """The instances of ``definition`` in scope, for one ``period``, or for the periods of ``year``
    that have begun by ``today`` (the calendar ahead says nothing about compliance yet)."""
    today = today or clock.today()
    condition = (
        ReportInstance.period == period
        if period is not None
        else and_(func.substr(ReportInstance.period, 1, 4) == str(year), ReportInstance.period_start <= today)
    )
    instances = db.session.scalars(
        select(ReportInstance).where(
            ReportInstance.definition_id == definition.id, scope.scope_clause(ReportInstance, user), condition
        )
    ).all()
    return _tabulate(definition, instances, today)


def busiest_definition(
    user: User, definitions: list[ReportDefinition], today: date
) -> ReportDefinition | None:
    """The definition with the most reports due by ``today`` in the user's scope: the one whose
    compliance says most (the first, when none is due yet)."""
    rows = db.session.execute(
        select(ReportInstance.definition_id, func.count())
        .where(scope.scope_clause(ReportInstance, user), ReportInstance.deadline <= today)
        .group_by(ReportInstance.definition_id)
    )
    counts = {definition_id: count for definition_id, count in rows}
    return max(definitions, key=lambda d: counts.get(d.id, 0), default=None)


def _tabulate(definition: ReportDefinition, instances: list[ReportInstance], today: date) -> Compliance:
    index = scope.unit_index()
    periods = sorted({i.period for i in instances}, key=lambda k: definition_period(definition, k).cut_off)
    units = sorted({index.units[i.unit_id] for i in instances}, key=lambda u: u.code)
    cells = {(i.unit_id, i.period): i for i in instances}
    states = {key: timeliness(i, today) for key, i in cells.items()}
    expected = [i for i in instances if i.deadline < today or i.first_submitted_at is not None]
    return Compliance(
        definition=definition,
        periods=periods,
        units=units,
        cells=cells,
        states=states,
        expected=len(expected),
        submitted=sum(1 for i in expected if i.first_submitted_at is not None),
        timely=sum(1 for i in expected if on_time(i)),
    )
