"""The targets page of a unit and year (``?unit=<code>&year=<year>``): everyone in scope reads it,
managers and admins set the targets; a unit's target is split across its communes on demand."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.permissions import READERS, require_role
from app.services import clock, indicators, scope, stats
from app.services import targets as target_service

bp = Blueprint("targets", __name__)

SETTERS = ("manager", "admin")
FIELD_PREFIX = "target-"


def _year() -> int:
    """``?year=`` (or the form's) within the plan years offered; default this year."""
    year = request.values.get("year", type=int)
    today = clock.today()
    return year if year is not None and target_service.MIN_YEAR <= year <= today.year + 5 else today.year


def _unit(year: int) -> scope.Unit:
    return scope.unit_in_scope_or_404(current_user, request.values.get("unit"), year)


def _page(unit: scope.Unit, year: int, typed: dict | None = None, errors: dict | None = None, new=None):
    """The page; after a refused save, what was typed (``new``: the added kind of support's
    (code, value, error))."""
    today = clock.today()
    communes, splits = target_service.splits(unit, year)
    allowed = scope.scope_unit_ids(current_user)
    return render_template(
        "targets/index.html",
        unit=unit,
        year=year,
        years=target_service.plan_years(unit.id, year, today.year, today.year + 1),
        as_of=min(today, date(year, 12, 31)),
        progress=target_service.progress(current_user, unit, year, today),
        communes=[c for c in communes if c.id in allowed],
        splits=splits,
        can_set=current_user.role in SETTERS,
        task_types=target_service.task_types(str(get_locale())),
        typed=typed or {},
        errors=errors or {},
        field_prefix=FIELD_PREFIX,
        new=new or ("", "", None),
    )


@bp.route("/")
@require_role(*READERS)
def index():
    year = _year()
    return _page(_unit(year), year)


@bp.route("/", methods=["POST"])
@require_role(*SETTERS)
def save():
    """All of the unit's targets for the year at once: each checked, none saved unless all are
    valid (the page comes back with the values typed and a message beside each wrong one)."""
    year = _year()
    unit = _unit(year)
    keys = [spec.key for spec in indicators.INDICATORS]
    keys += [
        name.removeprefix(FIELD_PREFIX)
        for name in request.form
        if name.startswith(FIELD_PREFIX + indicators.TASKS_PREFIX)
    ]
    typed = {key: request.form.get(FIELD_PREFIX + key, "") for key in keys}
    new_type = request.form.get("new-type", "")
    if new_type:  # a custom target for a kind of support
        typed[indicators.TASKS_PREFIX + new_type] = request.form.get("new-value", "")
    values, errors = {}, {}
    added = indicators.TASKS_PREFIX + new_type if new_type else None
    for key, text in typed.items():
        spec = target_service.spec_of(key, new=key == added)
        if spec is None:
            errors[key] = _("Choose a kind of support from the list.")
            continue
        try:
            values[key] = target_service.parse_value(text, spec.measure)
        except target_service.TargetError as error:
            errors[key] = str(error)
    if new_type and not errors and values.get(indicators.TASKS_PREFIX + new_type) is None:
        errors[indicators.TASKS_PREFIX + new_type] = _("Give the number of tasks to complete.")
    if errors:
        flash(_("Nothing was saved: please correct the targets marked in red."), "danger")
        new = (new_type, typed.get(added, ""), errors.get(added)) if new_type else None
        return _page(unit, year, typed, errors, new), 422
    changes = target_service.save(current_user, unit, year, values, ip=request.remote_addr)
    db.session.commit()
    if changes:
        flash(_("Targets of %(unit)s for %(year)s saved.", unit=unit.name, year=year), "success")
    else:
        flash(_("Nothing changed."), "info")
    _flash_unbalanced(unit, year)
    return redirect(url_for("targets.index", unit=unit.code, year=year), 303)


def _flash_unbalanced(unit: scope.Unit, year: int) -> None:
    """Warn when a count's commune targets no longer add up to the district's (after either changed)."""
    parent = scope.unit_index().units.get(unit.parent_id) if unit.is_commune_level else None
    above = parent if parent is not None and parent.id in scope.scope_unit_ids(current_user) else unit
    _communes, splits = target_service.splits(above, year)
    for split in splits:
        if split.balanced is False:
            flash(
                _(
                    "The communes' targets for “%(indicator)s” add up to %(total)s, "
                    "but %(unit)s's target is %(own)s.",
                    indicator=split.spec.label(str(get_locale())),
                    total=format_decimal(split.total),
                    unit=above.name,
                    own=format_decimal(split.own),
                ),
                "warning",
            )


@bp.route("/split", methods=["POST"])
@require_role(*SETTERS)
def split():
    """The unit's target for one indicator given to its communes: a count in proportion to their
    poor households in the latest official review (the parts add up to it), a rate or a share as
    it is. Overwrites the communes' targets for that indicator (audited, one row per commune)."""
    year = _year()
    unit = _unit(year)
    spec = target_service.spec_of(request.form.get("indicator", ""))
    if spec is None:
        abort(400)
    communes, splits = target_service.splits(unit, year)
    own = next((s.own for s in splits if s.spec.key == spec.key), None)
    if own is None or not communes:
        flash(
            _("Set the target of %(unit)s first; then it can be split.", unit=unit.name),
            "danger",
        )
        return redirect(url_for("targets.index", unit=unit.code, year=year), 303)
    if spec.measure == "count":
        review = stats.latest_official_year(current_user)
        poor = [s.poor for s in stats.household_stats_of(current_user, communes, review)]
        parts = target_service.share_out(int(own), poor)
    else:
        parts = [own] * len(communes)
    for commune, part in zip(communes, parts, strict=True):
        target_service.save(current_user, commune, year, {spec.key: part}, ip=request.remote_addr)
    db.session.commit()
    name = spec.label(str(get_locale()))
    flash(_("“%(indicator)s” split across %(n)s communes.", indicator=name, n=len(communes)), "success")
    return redirect(url_for("targets.index", unit=unit.code, year=year) + "#communes", 303)
