"""Read-only JSON API, session-authenticated, scoped like every page."""

from dataclasses import replace
from datetime import date, datetime

from flask import Blueprint, abort, jsonify, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import aliased

from app.blueprints.api.openapi import openapi_document
from app.extensions import db
from app.models import (
    AdminUnit,
    Household,
    Organisation,
    ReportDefinition,
    ReportInstance,
    SupportTask,
    TaskType,
    User,
)
from app.models.reports import ReportStatus
from app.models.tasks import OPEN_STATUSES, TaskStatus
from app.services import clock, reports, scope, stats
from app.services import coverage as coverage_service
from app.services import households as registry
from app.services import movements as movement_service
from app.services import report_calendar as cal
from app.services import targets as target_service
from app.services.audit import mask_citizen_id

bp = Blueprint("api", __name__)
MAX_PER_PAGE = 100
#: the years a plan may be asked for
MIN_YEAR, MAX_YEAR = 2000, 2100
TASK_STATUSES = tuple(s.value for s in TaskStatus)
REPORT_STATUSES = tuple(s.value for s in ReportStatus)
FLAGS = {"": False, "false": False, "0": False, "true": True, "1": True}


class BadArgument(Exception):
    """A query parameter that is not valid; ``str(error)`` says which and why (answered as 400)."""


@bp.errorhandler(BadArgument)
def bad_argument(error: BadArgument):
    return jsonify(error=str(error)), 400


#: the registry statuses a household list may be filtered by
HOUSEHOLD_STATUSES = ("poor", "near_poor", "escaped", "other")


def _unit_arg():
    """``?unit=<code>``: that unit if in the user's scope (404 otherwise), or None when not given."""
    code = request.args.get("unit")
    return scope.unit_in_scope_or_404(current_user, code) if code else None


def _choice_arg(name: str, allowed) -> str | None:
    """``?<name>=`` if one of ``allowed``, None when not given; anything else is a 400."""
    value = request.args.get(name) or None
    if value and value not in allowed:
        raise BadArgument(f"{name} must be one of {', '.join(allowed)}")
    return value


def _unit_ref(unit: AdminUnit | None) -> dict | None:
    return None if unit is None else {"code": unit.code, "name": unit.name}


def _unit_json(unit: AdminUnit, index: scope.UnitIndex) -> dict:
    parent = index.units.get(unit.parent_id) if unit.parent_id else None
    successor = index.units.get(unit.successor_id) if unit.successor_id else None
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent": _unit_ref(parent),
        "valid_from": unit.valid_from.isoformat() if unit.valid_from else None,
        "valid_to": unit.valid_to.isoformat() if unit.valid_to else None,
        "successor": _unit_ref(successor),
    }


def _household_json(household: Household, index: scope.UnitIndex) -> dict:
    village = index.units[household.unit_id]
    commune = index.units.get(village.parent_id)
    return {
        "id": household.id,
        "code": household.code,
        "head_name": household.head_name,
        "ethnicity": household.ethnicity,
        "unit": _unit_ref(village),
        "commune": _unit_ref(commune),
        "address": household.address,
        "area": household.area,
        "status": household.status,
        "status_criterion": household.status_criterion,
        "status_year": household.status_year,
    }


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    value = request.args.get(name, type=int)
    if value is None:
        if name in request.args:
            abort(400)
        return default
    return max(low, min(high, value))


def _paged(page, items: list):
    """A page of a list as every list of the API answers it."""
    return jsonify(items=items, total=page.total, page=page.page, per_page=page.per_page)


@bp.route("/units")
@login_required
def units():
    index = scope.unit_index()
    rows = db.session.scalars(scope.scoped(AdminUnit, current_user).order_by(AdminUnit.path)).all()
    return jsonify(items=[_unit_json(u, index) for u in rows], total=len(rows))


@bp.route("/households")
@login_required
def households():
    unit = _unit_arg()
    status = _choice_arg("status", HOUSEHOLD_STATUSES)
    flt = registry.HouseholdFilter(
        q=request.args.get("q", ""),
        unit_id=unit.id if unit else None,
        status=status,
        page=_int_arg("page", 1, 1, 10**6),
        per_page=_int_arg("per_page", 25, 1, MAX_PER_PAGE),
    )
    page = registry.search_households(current_user, flt)
    index = scope.unit_index()
    return _paged(page, [_household_json(h, index) for h in page.items])


@bp.route("/households/<int:household_id>")
@login_required
def household(household_id: int):
    row = registry.load_household(current_user, household_id)
    body = _household_json(row, scope.unit_index())
    body["phone"] = row.phone
    body["causes"] = [c.code for c in row.causes]
    body["needs"] = [n.code for n in row.needs]
    body["members"] = [
        {
            "id": m.id,
            "full_name": m.full_name,
            "relation": m.relation,
            "sex": m.sex,
            "birth_year": m.birth_year,
            "ethnicity": m.ethnicity,
            "citizen_id": mask_citizen_id(m.citizen_id),
            "has_health_insurance": bool(m.health_insurance_card),
            "schooling": m.schooling,
            "has_disability": m.has_disability,
        }
        for m in row.members
    ]
    return jsonify(body)


def _flag_arg(name: str) -> bool | None:
    """``true``/``1`` or ``false``/``0``/absent; None for anything else."""
    return FLAGS.get(request.args.get(name, "").strip().lower())


Officer = aliased(User, name="officer")

#: What the API shows of a task, read as plain rows
TASK_COLUMNS = (
    SupportTask.id,
    SupportTask.household_id,
    TaskType.code.label("type"),
    SupportTask.status,
    SupportTask.due_date,
    SupportTask.version,
    Officer.id.label("officer_id"),
    Officer.username.label("officer_username"),
    Officer.full_name.label("officer_full_name"),
    Organisation.id.label("organisation_id"),
    Organisation.name.label("organisation_name"),
)


def _task_json(row: Row) -> dict:
    officer = None
    if row.officer_id is not None:
        officer = {"id": row.officer_id, "username": row.officer_username, "full_name": row.officer_full_name}
    return {
        "id": row.id,
        "household_id": row.household_id,
        "type": row.type,
        "status": row.status,
        "due_date": row.due_date.isoformat(),
        "officer": officer,
        "organisation": {"id": row.organisation_id, "name": row.organisation_name},
        "version": row.version,
    }


def _task_conditions(unit: scope.Unit | None, status: str | None, officer: str, overdue: bool) -> list:
    """The tasks in the caller's scope (of the households of ``unit`` and the units merged into
    it) that match. ``officer`` filters on the username the items show: an unknown username, and
    one of an officer with no task in the caller's scope, match no task."""
    unit_ids = None
    if unit is not None:
        unit_ids = scope.scope_unit_ids(current_user) & scope.unit_index().family(unit.id)
    conditions = [scope.scope_clause(SupportTask, current_user, unit_ids)]
    if status:
        conditions.append(SupportTask.status == status)
    if officer:
        conditions.append(Officer.username == officer)
    if overdue:
        conditions.append(SupportTask.status.in_([s.value for s in OPEN_STATUSES]))
        conditions.append(SupportTask.due_date < clock.today())
    return conditions


def _tasks_with_officer(*columns) -> Select:
    return select(*columns).select_from(SupportTask).outerjoin(Officer, Officer.id == SupportTask.officer_id)


def _task_page(conditions: list, page: int, per_page: int) -> registry.Page:
    """Page ``page`` (clamped to the last one, as for households) by due date, then id."""
    total = db.session.scalar(_tasks_with_officer(func.count()).where(*conditions))
    page = min(page, max(1, -(-total // per_page)))
    rows = db.session.execute(
        _tasks_with_officer(*TASK_COLUMNS)
        .join(TaskType, TaskType.id == SupportTask.task_type_id)
        .join(Organisation, Organisation.id == SupportTask.organisation_id)
        .where(*conditions)
        .order_by(SupportTask.due_date, SupportTask.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return registry.Page(rows, total, page, per_page)


@bp.route("/tasks")
@login_required
def tasks():
    unit = _unit_arg()
    status = _choice_arg("status", TASK_STATUSES)
    overdue = _flag_arg("overdue")
    if overdue is None:
        return jsonify(error="overdue must be true or false"), 400
    conditions = _task_conditions(unit, status, request.args.get("officer", "").strip(), overdue)
    page = _task_page(conditions, _int_arg("page", 1, 1, 10**6), _int_arg("per_page", 25, 1, MAX_PER_PAGE))
    return _paged(page, [_task_json(row) for row in page.items])


@bp.route("/coverage")
@login_required
def coverage():
    unit = scope.unit_in_scope_or_404(current_user, request.args.get("unit"))
    return jsonify(coverage_service.coverage(current_user, unit).as_json())


@bp.route("/stats")
@login_required
def stats_view():
    year = request.args.get("year", type=int)
    if "year" in request.args and year is None:
        return jsonify(error="year must be a number"), 400
    unit = scope.unit_in_scope_or_404(current_user, request.args.get("unit"), year)
    if year is None:
        year = stats.latest_official_year(current_user)
    return jsonify(stats.household_stats(current_user, unit, year).as_json())


@bp.route("/targets")
@login_required
def targets_view():
    """Each indicator of a unit against its target for a year (default: this year), as of today."""
    year = request.args.get("year", type=int)
    if "year" in request.args and (year is None or not MIN_YEAR <= year <= MAX_YEAR):
        raise BadArgument(f"year must be a year from {MIN_YEAR} to {MAX_YEAR}")
    today = clock.today()
    year = year or today.year
    unit = scope.unit_in_scope_or_404(current_user, request.args.get("unit"), year)
    rows = target_service.progress(current_user, unit, year, today)
    return jsonify(
        unit=_unit_ref(unit),
        year=year,
        as_of=min(today, date(year, 12, 31)).isoformat(),
        indicators=[row.as_json() for row in rows],
    )


def _year_arg(name: str) -> int:
    """A required ``?<name>=<year>`` (400 when missing or not a year)."""
    year = request.args.get(name, type=int)
    if year is None or not MIN_YEAR <= year <= MAX_YEAR:
        raise BadArgument(f"{name} is required: a year from {MIN_YEAR} to {MAX_YEAR}")
    return year


@bp.route("/movements")
@login_required
def movements_view():
    """How households moved between two review years: the count of each kind of movement."""
    first, last = _year_arg("from"), _year_arg("to")
    unit = scope.unit_in_scope_or_404(current_user, request.args.get("unit"), last)
    try:
        counts = movement_service.movements(current_user, unit, first, last).counts()
    except movement_service.MovementError as error:
        raise BadArgument(str(error)) from None
    return jsonify(
        {"unit": _unit_ref(unit), "from": first, "to": last, "counts": counts, "total": sum(counts.values())}
    )


def _utc(moment: datetime | None) -> str | None:
    """A stored timestamp (naive UTC) as ISO 8601 with ``Z``, to the second."""
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


def _definition_arg(required: bool) -> ReportDefinition | None:
    code = request.args.get("definition", "").strip()
    if not code:
        if required:
            raise BadArgument("definition is required: the code of a report definition")
        return None
    definition = db.session.scalar(select(ReportDefinition).where(ReportDefinition.code == code))
    if definition is None:
        raise BadArgument(f"definition {code!r} is not the code of a report definition")
    return definition


def _period_arg(definition: ReportDefinition | None, required: bool) -> str | None:
    """The ``period`` key, checked against the definition's frequency (any frequency without one)."""
    key = request.args.get("period", "")
    if not key:
        if required:
            raise BadArgument("period is required: a key such as 2020-03, 2020-Q1, 2020-H1 or 2020")
        return None
    if definition is not None:
        try:
            reports.definition_period(definition, key)
        except ValueError as error:
            raise BadArgument(f"period: {error}") from None
        return key
    for frequency in cal.Frequency:
        try:
            cal.period(frequency, key)
        except ValueError:
            continue
        return key
    raise BadArgument(f"period {key!r} is not a key such as 2020-03, 2020-Q1, 2020-H1 or 2020")


def _report_json(instance: ReportInstance, index: scope.UnitIndex, today: date) -> dict:
    unit = index.units[instance.unit_id]
    receiving = index.units.get(instance.receiving_unit_id) if instance.receiving_unit_id else None
    submitted = instance.first_submitted_at is not None
    return {
        "id": instance.id,
        "definition": instance.definition.code,
        "definition_name": instance.definition.name,
        "period": instance.period,
        "unit": unit.code,
        "unit_name": unit.name,
        "receiving_unit": receiving.code if receiving else None,
        "cut_off": instance.cut_off.isoformat(),
        "deadline": instance.deadline.isoformat(),
        "status": instance.status,
        "version": instance.version,
        "submitted_at": _utc(instance.submitted_at),
        "first_submitted_at": _utc(instance.first_submitted_at),
        "decided_at": _utc(instance.decided_at),
        "on_time": reports.on_time(instance) if submitted else None,
        "timeliness": reports.timeliness(instance, today).value,
    }


@bp.route("/reports")
@login_required
def reports_list():
    unit = _unit_arg()
    status = _choice_arg("status", REPORT_STATUSES)
    definition = _definition_arg(required=False)
    flt = reports.ReportFilter(
        view="all",
        definition_id=definition.id if definition else None,
        unit_id=unit.id if unit else None,
        status=status,
        period=_period_arg(definition, required=False),
        page=_int_arg("page", 1, 1, 10**6),
        per_page=_int_arg("per_page", 25, 1, MAX_PER_PAGE),
    )
    page = reports.search(current_user, flt)
    if page.page > page.pages:  # clamped to the last page, as for tasks
        page = reports.search(current_user, replace(flt, page=page.pages))
    index, today = scope.unit_index(), clock.today()
    return _paged(page, [_report_json(i, index, today) for i in page.items])


@bp.route("/reports/<int:report_id>")
@login_required
def report(report_id: int):
    instance = reports.load(current_user, report_id)
    body = _report_json(instance, scope.unit_index(), clock.today())
    body["commentary"] = instance.commentary
    body["decision_comment"] = instance.decision_comment
    body["versions"] = [
        {
            "number": v.number,
            "generated_at": _utc(v.generated_at),
            "pdf_url": url_for(
                "reports.download", report_id=instance.id, number=v.number, kind="pdf", _external=True
            ),
            "xlsx_url": url_for(
                "reports.download", report_id=instance.id, number=v.number, kind="xlsx", _external=True
            ),
            "pdf_sha256": v.pdf_sha256,
            "submitted_at": _utc(v.submitted_at),
            "decision": v.decision,
            "decision_comment": v.decision_comment,
        }
        for v in instance.versions
    ]
    return jsonify(body)


def _rate(value) -> float | None:
    return None if value is None else float(value)


def _compliance_json(table: reports.Compliance, key: str) -> dict:
    """One period's compliance (``reports.compliance``) as the API answers it."""
    units = []
    for unit in table.units:
        instance = table.cells[(unit.id, key)]
        units.append(
            {
                "unit": unit.code,
                "name": unit.name,
                "state": table.states[(unit.id, key)].value,
                "deadline": instance.deadline.isoformat(),
                "first_submitted_at": _utc(instance.first_submitted_at),
                "on_time": reports.on_time(instance) if instance.first_submitted_at else None,
                "report_id": instance.id,
            }
        )
    return {
        "definition": table.definition.code,
        "period": key,
        "expected": table.expected,
        "submitted": table.submitted,
        "on_time": table.timely,
        "reporting_rate": _rate(table.reporting_rate),
        "on_time_rate": _rate(table.on_time_rate),
        "units": units,
    }


@bp.route("/compliance")
@login_required
def compliance():
    definition = _definition_arg(required=True)
    key = _period_arg(definition, required=True)
    table = reports.compliance(current_user, definition, period=key)
    return jsonify(_compliance_json(table, key))


@bp.route("/openapi.json")
@login_required
def openapi():
    return jsonify(openapi_document())
