"""The movements page: ``?unit=<code>&from=<year>&to=<year>&kind=<kind>&page=<n>``, within the scope."""

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import downloads, labels
from app.extensions import db
from app.models.catalogues import PovertyCause
from app.permissions import READERS, require_role
from app.services import movements as movement_service
from app.services import scope, stats
from app.services.households import Page

bp = Blueprint("reviews", __name__)

PER_PAGE = 50


def _cause_names() -> dict[int, str]:
    column = PovertyCause.name_en if str(get_locale()) == "en" else PovertyCause.name_vi
    return dict(db.session.execute(select(PovertyCause.id, column)).all())


def _years(years: list[int]) -> tuple[int | None, int | None]:
    """``?from=`` and ``?to=`` among the official years (default: the latest two)."""
    last = request.args.get("to", type=int)
    last = last if last in years else (years[-1] if years else None)
    earlier = [y for y in years if last is not None and y < last]
    first = request.args.get("from", type=int)
    first = first if first in earlier else (earlier[-1] if earlier else None)
    return first, last


@bp.route("/movements")
@require_role(*READERS)
def movements():
    """How the households of a unit moved between two official reviews: counts by kind, by commune,
    ethnicity and cause, the households of one kind, and the year's preliminary → official changes."""
    years = stats.official_years(current_user)
    first, last = _years(years)
    unit = scope.unit_in_scope_or_404(current_user, request.args.get("unit"), last)
    kinds = list(movement_service.KINDS)
    kind = request.args.get("kind") if request.args.get("kind") in kinds else None
    context = {"unit": unit, "years": years, "first": first, "last": last, "kinds": kinds, "kind": kind}
    kinds_of_units = ("province", "district", "commune", "town", "ward")
    context["units"] = scope.current_units_in_scope(current_user, kinds_of_units)
    if first is None or last is None:
        return render_template("reviews/movements.html", found=None, **context)
    found = movement_service.movements(current_user, unit, first, last)
    moved = movement_service.households(found, _cause_names(), current_user)
    listed = [m for m in moved if kind is None or m.kind == kind]
    page_number = max(1, request.args.get("page", 1, type=int))
    page = Page(total=len(listed), page=page_number, per_page=PER_PAGE)
    page.page = min(page.page, page.pages)
    page.items = listed[(page.page - 1) * PER_PAGE : page.page * PER_PAGE]
    return render_template(
        "reviews/movements.html",
        found=found,
        counts=found.counts(),
        by_commune=movement_service.tally(moved, lambda m: m.commune),
        by_ethnicity=movement_service.tally(moved, lambda m: m.ethnicity),
        by_cause=movement_service.tally(moved, lambda m: m.causes or ("",)),
        page=page,
        changes=sorted(movement_service.preliminary_changes(current_user, unit, last).items()),
        **context,
    )


@bp.route("/movements/export")
@require_role(*READERS)
def movements_export():
    """The households of the movements page (of one kind, with ``kind=``) as XLSX or CSV."""
    fmt = downloads.requested_format()
    years = stats.official_years(current_user)
    first, last = _years(years)
    unit = scope.unit_in_scope_or_404(current_user, request.args.get("unit"), last)
    if first is None or last is None:
        abort(404)
    kind = request.args.get("kind")
    found = movement_service.movements(current_user, unit, first, last)
    names = labels.translated().TRANSITIONS
    header = [_("Code"), _("Head of household"), _("Commune"), _("Ethnicity"), _("Causes"), _("Movement")]
    rows = [
        (m.code, m.head_name, m.commune, m.ethnicity, ", ".join(m.causes), names[m.kind])
        for m in movement_service.households(found, _cause_names())
        if kind not in movement_service.KINDS or m.kind == kind
    ]
    return downloads.download(f"movements-{first}-{last}", _("Movements"), header, rows, fmt)
