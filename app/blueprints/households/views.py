"""The household registry: list with active search, detail, edit, members inline."""

from collections.abc import Callable
from functools import partial

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app import downloads, labels
from app.blueprints.households.forms import AssignForm, HouseholdFilterForm, HouseholdForm, MemberForm
from app.blueprints.households.rows import household_rows
from app.blueprints.tasks.forms import BulkTaskForm, fill_responsibility_choices, task_type_choices
from app.blueprints.tasks.views import row_context
from app.extensions import db
from app.htmx import vary_on_htmx, wants_fragment
from app.models import Household, Member, PovertyCause, SupportNeed
from app.permissions import EDITORS, require_role
from app.services import audit_log, clock, exports, responsibility, scope
from app.services import households as registry
from app.services import tasks as task_service
from app.services.audit import mask_citizen_id
from app.services.profile import household_profile

bp = Blueprint("households", __name__)


def _filter_choices(form: HouseholdFilterForm) -> None:
    choices = [("", _("All communes"))]
    for commune, villages in scope.villages_by_commune(current_user):
        choices.append((commune.id, commune.name))
        choices += [(v.id, f"— {v.name}") for v in villages]
    form.unit.choices = choices
    causes = db.session.scalars(
        select(PovertyCause).where(PovertyCause.active).order_by(PovertyCause.sort_order)
    )
    form.cause.choices = [("", _("All causes"))] + [(c.id, c.name_vi) for c in causes]


def _household_choices(form: HouseholdForm) -> None:
    form.unit_id.choices = {
        commune.name: [(v.id, v.name) for v in villages]
        for commune, villages in scope.villages_by_commune(current_user)
    }
    causes = db.session.scalars(
        select(PovertyCause).where(PovertyCause.active).order_by(PovertyCause.sort_order)
    )
    needs = db.session.scalars(select(SupportNeed).where(SupportNeed.active).order_by(SupportNeed.sort_order))
    form.cause_ids.choices = [(c.id, c.name_vi) for c in causes]
    form.need_ids.choices = [(n.id, n.name_vi) for n in needs]


def _registry_error(form, error: registry.RegistryError) -> None:
    getattr(form, error.field).errors.append(labels.MESSAGES[str(error)])


def _filter_from(form: HouseholdFilterForm) -> registry.HouseholdFilter:
    """The filter of the query string; a value that fails validation is ignored."""
    form.validate()

    def value(field):
        return None if field.errors or field.data in ("", None) else field.data

    return registry.HouseholdFilter(
        q=value(form.q) or "",
        unit_id=value(form.unit),
        status=value(form.status),
        cause_id=value(form.cause),
        criterion=value(form.criterion),
        area=value(form.area),
        followed=value(form.followed),
        gap=value(form.gap),
        sort=value(form.sort) or "",
        page=value(form.page) or 1,
        per_page=current_app.config["HOUSEHOLDS_PER_PAGE"],
    )


@bp.route("")
@login_required
def index():
    """The list, or for active search its results alone; both cached under every version they
    are rendered from (app/pagecache.py), so a repeated view skips the queries and templates."""
    fragment = wants_fragment("household-results")
    cache = current_app.extensions["page_cache"]
    html = Markup(cache.get_or_render(_list_cache_key(fragment), partial(_render_list, fragment)))
    if fragment:
        return vary_on_htmx(make_response(html))
    return vary_on_htmx(make_response(render_template("households/index.html", content=html)))


#: filters that read tables the registry version does not cover (assignments, users, members):
#: a list filtered by them is rendered afresh every time
UNCACHED_FILTERS = ("followed", "gap")


def _list_cache_key(fragment: bool) -> tuple | None:
    version = registry.registry_version()
    if version is None or any(request.args.get(name) for name in UNCACHED_FILTERS):
        return None
    return (
        "households.index",
        fragment,
        current_user.scope_unit_id,
        current_user.role,
        str(get_locale()),
        tuple(sorted(request.args.items(multi=True))),
        current_app.config["HOUSEHOLDS_PER_PAGE"],
        current_app.config["SEARCH_COUNT_LIMIT"],
        scope.units_version(),
        version,
    )


def _render_list(fragment: bool) -> str:
    form = HouseholdFilterForm(request.args)
    page = registry.search_households(
        current_user, _filter_from(form), count_limit=current_app.config["SEARCH_COUNT_LIMIT"]
    )
    rows = household_rows(page.items)
    if fragment:  # active search: the results only, no filter menus
        return render_template("households/_results.html", page=page, rows=rows)
    _filter_choices(form)
    return render_template("households/_list.html", form=form, page=page, rows=rows)


@bp.route("/export")
@login_required
def export():
    """The list as filtered on screen, every page of it, as XLSX or CSV; the head's citizen ID in
    full for those who keep the registry (staff, admin), masked for the others."""
    fmt = downloads.requested_format()
    rows = registry.export_rows(
        current_user, _filter_from(HouseholdFilterForm(request.args)), exports.MAX_ROWS
    )
    if len(rows) > exports.MAX_ROWS:  # a nation's registry: too much for one file
        flash(
            _("More than %(n)s households match: narrow the list to export it.", n=exports.MAX_ROWS), "danger"
        )
        return redirect(url_for("households.index"))
    index = scope.unit_index()
    full_ids = current_user.role in EDITORS
    tables = labels.translated()

    header = [
        _("Code"),
        _("Head of household"),
        _("Citizen ID of the head"),
        _("Ethnicity"),
        _("Village"),
        _("Commune"),
        _("Address"),
        _("Area"),
        _("Status"),
        _("Criterion"),
        _("Review year"),
        _("Members"),
    ]
    body = []
    for code, head, ethnicity, unit_id, address, area, status, criterion, year, citizen_id, members in rows:
        shown_id = (citizen_id if full_ids else mask_citizen_id(citizen_id)) if citizen_id else None
        body.append(
            (
                code,
                head,
                shown_id,
                ethnicity,
                index.units[unit_id].name,
                (index.commune_of(unit_id) or index.units[unit_id]).name,
                address,
                tables.AREAS.get(area, area),
                tables.STATUSES.get(status, status),
                tables.CRITERIA.get(criterion, criterion) if criterion else None,
                year,
                members,
            )
        )
    return downloads.download("households", _("Households"), header, body, fmt)


@bp.route("/assign", methods=["GET", "POST"])
@require_role(*EDITORS)
def assign():
    """Assign responsibility for the households ticked on the list (``id=…``) or for all that
    match the list's filter (``all=1`` and the filter's arguments); a handover needs a reason."""
    ids, error = _selection()
    form = AssignForm()
    fill_responsibility_choices(form, current_user, _("Choose an organisation"))

    def action() -> str:
        result = responsibility.assign_households(
            current_user,
            ids,
            form.organisation_id.data,
            form.officer_id.data,
            reason=form.reason.data,
            ip=request.remote_addr,
        )
        return _assign_message(result)

    return _on_selection("households/assign.html", form, ids, error, action)


@bp.route("/tasks", methods=["GET", "POST"])
@require_role(*EDITORS)
def bulk_tasks():
    """One support task for each household ticked on the list or matching its filter."""
    ids, error = _selection()
    form = BulkTaskForm()
    if request.method == "GET":
        form.follow_assignment.data = True
    form.task_type_id.choices = task_type_choices(_("Choose a type of support"))
    fill_responsibility_choices(form, current_user, "—")

    def action() -> str:
        created = task_service.create_tasks_for(
            current_user,
            ids,
            form.data,
            follow_assignment=form.follow_assignment.data,
            ip=request.remote_addr,
        )
        return _("%(n)s tasks created.", n=len(created))

    return _on_selection("households/bulk_tasks.html", form, ids, error, action)


def _on_selection(template: str, form, ids: list[int], error: str | None, action: Callable[[], str]):
    """An action on selected households: on a valid submission run ``action`` (it returns the
    message to flash), commit and go back to the list; a refusal lands on its field, or above the
    form when it is about the selection; nothing is written then."""
    if error is None and form.validate_on_submit():
        try:
            message = action()
        except registry.RegistryError as failure:  # TaskError is one too
            db.session.rollback()
            target = getattr(form, failure.field, None)
            if target is None:
                error = labels.MESSAGES[str(failure)]
            else:
                target.errors.append(labels.MESSAGES[str(failure)])
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(_back_to(ids))
    status = 422 if form.is_submitted() else 200  # a GET shows what is wrong with the selection
    context = {"form": form, "ids": ids, "preview": _preview(ids), "error": error, "back": _back_to(ids)}
    return render_template(template, **context), status


def _selection() -> tuple[list[int], str | None]:
    """The households an action names, and why it cannot proceed (or None)."""
    if request.values.get("all") == "1":
        filter_form = HouseholdFilterForm(request.args)
        flt = _filter_from(filter_form)
        ids = registry.matching_household_ids(current_user, flt)
        if len(ids) > registry.MATCHING_LIMIT:
            limit = registry.MATCHING_LIMIT
            return [], _("More than %(n)s households match: narrow the filter first.", n=limit)
    else:
        ids = [i for i in request.values.getlist("id", type=int)]
    if not ids:
        return [], _("Select at least one household.")
    return ids, None


def _preview(ids: list[int]) -> list:
    return list(
        db.session.scalars(
            scope.scoped(Household, current_user)
            .where(Household.id.in_(ids))
            .order_by(Household.code)
            .limit(12)
        )
    )


def _back_to(ids: list[int]) -> str:
    if request.values.get("all") != "1" and len(ids) == 1 and request.values.get("from") == "household":
        return url_for("households.detail", household_id=ids[0], _anchor="responsibility")
    args = {
        k: v for k, v in request.args.items() if k in ("q", "unit", "status", "cause", "criterion", "area")
    }
    return url_for("households.index", **args)


def _assign_message(result) -> str:
    return _(
        "%(assigned)s households assigned, %(handed)s handed over, %(same)s already followed by them.",
        assigned=result.assigned,
        handed=result.handed_over,
        same=result.unchanged,
    )


@bp.route("/new", methods=["GET", "POST"])
@require_role(*EDITORS)
def new():
    form = HouseholdForm()
    _household_choices(form)
    if form.validate_on_submit():
        try:
            household = registry.create_household(current_user, form.data, ip=request.remote_addr)
        except registry.RegistryError as error:
            _registry_error(form, error)
        else:
            db.session.commit()
            flash(_("Household %(code)s registered.", code=household.code), "success")
            return redirect(url_for("households.detail", household_id=household.id))
    status = 422 if form.is_submitted() else 200
    return render_template("households/form.html", form=form, household=None), status


@bp.route("/<int:household_id>")
@login_required
def detail(household_id: int):
    household = registry.load_household(current_user, household_id)
    profile = household_profile(current_user, household)
    deprivations = [(d.code, d.name) for d in profile.deprivations]
    return render_template(
        "households/detail.html",
        household=household,
        profile=profile,
        member_form=MemberForm(formdata=None),
        tasks=task_service.household_tasks(current_user, household),
        history=audit_log.history(current_user, "households", household.id),
        exit_path=task_service.exit_path(household, deprivations),
        counters="",
        **row_context(clock.today()),
    )


@bp.route("/<int:household_id>/edit", methods=["GET", "POST"])
@require_role(*EDITORS)
def edit(household_id: int):
    household = registry.load_household(current_user, household_id)
    form = HouseholdForm(obj=household)
    del form.head_sex, form.head_birth_year  # the head is edited as a member
    _household_choices(form)
    if request.method == "GET":
        form.cause_ids.data = [c.id for c in household.causes]
        form.need_ids.data = [n.id for n in household.needs]
        form.version.data = str(household.version)
    status = 200
    if form.validate_on_submit():
        if form.version.data != str(household.version):
            return _conflict(household, form)
        try:
            registry.update_household(current_user, household, form.data, ip=request.remote_addr)
            db.session.commit()
        except registry.RegistryError as error:
            _registry_error(form, error)
        except StaleDataError:
            db.session.rollback()
            return _conflict(registry.load_household(current_user, household_id), form)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("households.detail", household_id=household.id))
    if form.is_submitted():
        status = 422
    return render_template("households/form.html", form=form, household=household), status


def _conflict(household, form):
    message = _(
        "Someone else changed this household while you were editing. Your changes were not saved: "
        "reload to see the current version, then edit again."
    )
    form.form_errors.append(message)
    return render_template("households/form.html", form=form, household=household, conflict=True), 409


def _member_or_404(household, member_id: int) -> Member:
    member = next((m for m in household.members if m.id == member_id), None)
    if member is None:
        abort(404)
    return member


@bp.route("/<int:household_id>/members", methods=["POST"])
@require_role(*EDITORS)
def member_create(household_id: int):
    household = registry.load_household(current_user, household_id)
    form = MemberForm()
    if form.validate_on_submit():
        try:
            member = registry.add_member(current_user, household, form.data, ip=request.remote_addr)
        except registry.RegistryError as error:
            _registry_error(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s added to the household.", name=member.full_name), "success")
            if wants_fragment():
                return render_template(
                    "households/_member_created.html",
                    household=household,
                    member=member,
                    member_form=MemberForm(formdata=None),
                )
            return redirect(url_for("households.detail", household_id=household.id) + "#members")
    if wants_fragment():
        response = make_response(
            render_template("households/_member_new.html", household=household, member_form=form), 422
        )
        response.headers["HX-Retarget"] = "#member-new"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    profile = household_profile(current_user, household)
    return render_template(
        "households/detail.html", household=household, profile=profile, member_form=form
    ), 422


@bp.route("/<int:household_id>/members/<int:member_id>")
@login_required
def member_row(household_id: int, member_id: int):
    household = registry.load_household(current_user, household_id)
    member = _member_or_404(household, member_id)
    return render_template("households/_member_row.html", household=household, member=member)


@bp.route("/<int:household_id>/members/<int:member_id>/edit", methods=["GET", "POST"])
@require_role(*EDITORS)
def member_edit(household_id: int, member_id: int):
    household = registry.load_household(current_user, household_id)
    member = _member_or_404(household, member_id)
    form = MemberForm(obj=member, prefix=f"m{member.id}")  # ids must not clash with the add form
    if form.validate_on_submit():
        try:
            registry.update_member(current_user, member, form.data, ip=request.remote_addr)
        except registry.RegistryError as error:
            _registry_error(form, error)
        else:
            db.session.commit()
            if wants_fragment():
                return render_template("households/_member_row.html", household=household, member=member)
            flash(_("Changes saved."), "success")
            return redirect(url_for("households.detail", household_id=household.id) + "#members")
    status = 422 if form.is_submitted() else 200
    template = "households/_member_edit_row.html" if wants_fragment() else "households/member_edit.html"
    return render_template(template, household=household, member=member, form=form), status
