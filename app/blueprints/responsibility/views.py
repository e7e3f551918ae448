"""Responsibility: who follows the poor and near-poor households (coverage), and how much each
officer carries (workload). Both read the user's scope only; ``?unit=<id>`` narrows them."""

from collections.abc import Set as AbstractSet
from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, abort, make_response, render_template, request
from flask_login import current_user

from app.htmx import vary_on_htmx, wants_fragment
from app.models.units import COMMUNE_LEVEL_KINDS, UnitKind
from app.permissions import READERS, require_role
from app.services import clock, scope
from app.services import coverage as coverage_service
from app.services import workload as workload_service

bp = Blueprint("responsibility", __name__)


def _unit_or_404() -> scope.Unit:
    """The unit ``?unit=<id>`` names if it is in the user's scope (else 404); without it, the
    user's scope unit."""
    raw = request.args.get("unit", "")
    index = scope.unit_index()
    if not raw:
        return index.units[current_user.scope_unit_id]
    if not raw.isdigit() or int(raw) not in scope.scope_unit_ids(current_user):
        abort(404)
    return index.units[int(raw)]


def _breadcrumb(unit: scope.Unit) -> list[scope.Unit]:
    """The units from the user's scope unit down to ``unit``'s parent, each a step back up."""
    if unit.id == current_user.scope_unit_id:
        return []
    allowed = scope.scope_unit_ids(current_user)
    index = scope.unit_index()
    above = [u for u in index.ancestors(unit.id) if u.id in allowed and u.id != current_user.scope_unit_id]
    return [index.units[current_user.scope_unit_id], *above]


def share(counts: coverage_service.Coverage) -> Decimal | None:
    """The assigned households as a percentage of all (two decimals); None when there are none."""
    if not counts.total:
        return None
    return (Decimal(counts.assigned) * 100 / counts.total).quantize(Decimal("0.01"), ROUND_HALF_UP)


@bp.route("/coverage")
@require_role(*READERS)
def coverage():
    """Assigned, unassigned and orphaned poor and near-poor households: one row per commune of
    the unit, or per village when the unit is a commune (or a village)."""
    unit = _unit_or_404()
    by_village = unit.is_commune_level or unit.kind == UnitKind.VILLAGE
    level = coverage_service.Level.VILLAGE if by_village else coverage_service.Level.COMMUNE
    rows = coverage_service.coverage_by_unit(current_user, unit, level)
    totals = coverage_service.coverage(current_user, unit)
    counted = sum(row.poor.total + row.near_poor.total for row in rows)
    return render_template(
        "responsibility/coverage.html",
        unit=unit,
        level=level,
        rows=rows,
        totals=totals,
        outside_rows=totals.poor.total + totals.near_poor.total - counted,
        statuses=coverage_service.STATUSES,
        breadcrumb=_breadcrumb(unit),
        share=share,
    )


def _officer_units(unit: scope.Unit) -> AbstractSet[int] | None:
    """The scope units of the officers to list: None (the whole scope) for the user's own unit."""
    if unit.id == current_user.scope_unit_id:
        return None
    return scope.scope_unit_ids(current_user) & scope.unit_index().family(unit.id)


def _unit_choices(unit: scope.Unit) -> list[scope.Unit]:
    """The communes of the scope to narrow the list to, and the unit shown if it is not one."""
    communes = scope.current_units_in_scope(current_user, COMMUNE_LEVEL_KINDS)
    if unit.id != current_user.scope_unit_id and all(c.id != unit.id for c in communes):
        return [unit, *communes]
    return communes


@bp.route("/workload")
@require_role(*READERS)
def workload():
    """The active officers of the scope (or of ``?unit=``) by the households they follow, with
    their open and overdue tasks; 50 a page."""
    unit = _unit_or_404()
    page = workload_service.officer_workload(
        current_user,
        clock.today(),
        unit_ids=_officer_units(unit),
        page=request.args.get("page", 1, type=int),
    )
    context = {"unit": unit, "page": page}
    if wants_fragment("workload-results"):
        return vary_on_htmx(make_response(render_template("responsibility/_workload.html", **context)))
    context["choices"] = _unit_choices(unit)
    return vary_on_htmx(make_response(render_template("responsibility/workload.html", **context)))
