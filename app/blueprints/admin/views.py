"""Administration: users, organisations, administrative units, the task catalogue, the report
definitions and holidays, the audit log and the job queue's operations."""

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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import labels
from app.blueprints.admin.forms import (
    AuditFilterForm,
    HolidayForm,
    NewUserForm,
    OrganisationForm,
    ReportDefinitionForm,
    TaskTypeForm,
    UnitForm,
    UserForm,
)
from app.extensions import db
from app.htmx import vary_on_htmx, wants_fragment
from app.models import AdminUnit, Holiday, Organisation, PovertyCause, ReportDefinition, TaskType, User
from app.permissions import require_role
from app.services import admin as admin_service
from app.services import audit as audit_service
from app.services import audit_log, clock, report_admin, reports, scope
from app.services import operations as operations_service
from app.services.households import RegistryError
from app.services.report_admin import CalendarRules, DeadlineRule, ReportAdminError
from app.tasks.queues import redis_client

bp = Blueprint("admin", __name__)


def _unit_choices(kinds: tuple[str, ...] | None = None, blank: str | None = None) -> list:
    index = scope.unit_index()
    units = [index.units[i] for i in scope.scope_unit_ids(current_user)]
    units = sorted((u for u in units if kinds is None or u.kind in kinds), key=lambda u: u.path)
    choices = [("", blank)] if blank else []
    return choices + [(u.id, f"{'— ' * max(0, u.depth - 1)}{u.name} ({u.code})") for u in units]


def _organisation_choices() -> list:
    orgs = db.session.scalars(scope.scoped(Organisation, current_user).order_by(Organisation.name))
    return [("", _("None"))] + [(o.id, o.name) for o in orgs]


def _error(form, error: RegistryError) -> None:
    getattr(form, error.field).errors.append(labels.MESSAGES[str(error)])


def _ip() -> str | None:
    return request.remote_addr


@bp.route("/users")
@require_role("admin")
def users():
    page = admin_service.list_users(
        current_user,
        q=request.args.get("q", ""),
        role=request.args.get("role") if request.args.get("role") in labels.ROLES else None,
        page=request.args.get("page", 1, type=int),
    )
    template = "admin/_user_results.html" if wants_fragment("user-results") else "admin/users.html"
    return vary_on_htmx(make_response(render_template(template, page=page)))


def _user_form(form: UserForm) -> UserForm:
    form.scope_unit_id.choices = _unit_choices(("province", "district", "town", "commune", "ward"))
    form.organisation_id.choices = _organisation_choices()
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@require_role("admin")
def user_new():
    form = _user_form(NewUserForm())
    if form.validate_on_submit():
        try:
            user = admin_service.create_user(current_user, form.data, ip=_ip())
        except RegistryError as error:
            _error(form, error)
        else:
            db.session.commit()
            flash(_("User %(username)s created.", username=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), 422 if form.is_submitted() else 200


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@require_role("admin")
def user_edit(user_id: int):
    user = scope.get_or_404(User, user_id, current_user)
    form = _user_form(UserForm(obj=user))
    form.username.data = user.username
    if form.validate_on_submit():
        try:
            admin_service.update_user(current_user, user, form.data, ip=_ip())
        except RegistryError as error:
            _error(form, error)
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user), 422 if form.is_submitted() else 200


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@require_role("admin")
def user_active(user_id: int):
    user = scope.get_or_404(User, user_id, current_user)
    active = request.form.get("active") == "1"
    try:
        admin_service.set_user_active(current_user, user, active, ip=_ip())
    except RegistryError as error:
        flash(labels.MESSAGES[str(error)], "danger")
    else:
        db.session.commit()
        message = _("%(name)s can log in again.") if active else _("%(name)s is deactivated and logged out.")
        flash(message % {"name": user.full_name}, "success")
    return redirect(url_for("admin.users"), 303)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@require_role("admin")
def user_password(user_id: int):
    user = scope.get_or_404(User, user_id, current_user)
    password = admin_service.reset_password(current_user, user, ip=_ip())
    db.session.commit()
    flash(
        _(
            "New password for %(username)s: %(password)s — give it to them in person; it is shown only once.",
            username=user.username,
            password=password,
        ),
        "warning",
    )
    return redirect(url_for("admin.users"), 303)


@bp.route("/organisations")
@require_role("admin")
def organisations():
    orgs = db.session.scalars(
        scope.scoped(Organisation, current_user).order_by(Organisation.unit_id, Organisation.name)
    ).all()
    return render_template("admin/organisations.html", organisations=orgs)


@bp.route("/organisations/new", methods=["GET", "POST"])
@bp.route("/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@require_role("admin")
def organisation_form(org_id: int | None = None):
    org = scope.get_or_404(Organisation, org_id, current_user) if org_id else None
    form = OrganisationForm(obj=org)
    form.unit_id.choices = _unit_choices(("province", "district", "town", "commune", "ward", "village"))
    if form.validate_on_submit():
        try:
            admin_service.save_organisation(current_user, org, form.data, ip=_ip())
        except RegistryError as error:
            _error(form, error)
        else:
            db.session.commit()
            flash(_("Organisation saved."), "success")
            return redirect(url_for("admin.organisations"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/organisation_form.html", form=form, organisation=org), status


@bp.route("/units")
@require_role("admin")
def units():
    index = scope.unit_index()
    root = index.units[current_user.scope_unit_id]
    return render_template("admin/units.html", root=root, index=index)


@bp.route("/units/new", methods=["GET", "POST"])
@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@require_role("admin")
def unit_form(unit_id: int | None = None):
    unit = scope.get_or_404(AdminUnit, unit_id, current_user) if unit_id else None
    form = UnitForm(obj=unit)
    if unit is None and request.method == "GET" and request.args.get("parent", type=int):
        form.parent_id.data = request.args.get("parent", type=int)
    form.parent_id.choices = _unit_choices(("province", "district", "town", "commune", "ward"))
    form.successor_id.choices = _unit_choices(blank=_("None"))
    if form.validate_on_submit():
        try:
            admin_service.save_unit(current_user, unit, form.data, ip=_ip())
        except RegistryError as error:
            _error(form, error)
        else:
            db.session.commit()
            flash(_("Unit saved."), "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=unit), 422 if form.is_submitted() else 200


@bp.route("/task-types")
@require_role("admin")
def task_types():
    """The task catalogue: every kind of support, what it addresses, its project and duration."""
    rows = db.session.scalars(
        select(TaskType).options(selectinload(TaskType.causes)).order_by(TaskType.sort_order, TaskType.code)
    ).all()
    indicators = dict(admin_service.indicator_choices())
    used = admin_service.task_types_in_use()
    return render_template("admin/task_types.html", task_types=rows, indicators=indicators, used=used)


@bp.route("/task-types/new", methods=["GET", "POST"])
@bp.route("/task-types/<int:type_id>/edit", methods=["GET", "POST"])
@require_role("admin")
def task_type_form(type_id: int | None = None):
    task_type = db.get_or_404(TaskType, type_id) if type_id else None
    form = TaskTypeForm(obj=task_type)
    if task_type is not None:
        form.code.data = task_type.code  # the code never changes
        if not form.is_submitted():
            form.indicator_codes.data = task_type.indicators
            form.cause_ids.data = [c.id for c in task_type.causes]
    form.indicator_codes.choices = admin_service.indicator_choices()
    causes = db.session.scalars(select(PovertyCause).order_by(PovertyCause.sort_order))
    form.cause_ids.choices = [(c.id, c.name_vi) for c in causes]
    if form.validate_on_submit():
        try:
            admin_service.save_task_type(current_user, task_type, form.data, ip=_ip())
        except RegistryError as error:
            _error(form, error)
        else:
            db.session.commit()
            flash(_("Task type saved."), "success")
            return redirect(url_for("admin.task_types"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/task_type_form.html", form=form, task_type=task_type), status


@bp.route("/audit")
@require_role("admin")
def audit():
    """Search the audit log (read-only: the application offers no way to change a row)."""
    form = AuditFilterForm(request.args)
    page = audit_log.search(current_user, **form.filters())
    if wants_fragment("audit-results"):
        html = render_template("admin/_audit_results.html", page=page)
    else:
        choices = {"actions": audit_log.actions(), "object_types": audit_log.OBJECT_TYPES}
        html = render_template("admin/audit.html", page=page, form=form, **choices)
    return vary_on_htmx(make_response(html))


@bp.route("/operations")
@require_role("admin")
def operations():
    """The job queue: queues and their counts, workers, the periodic jobs, the failed jobs.
    When Redis cannot be reached the page says so instead."""
    try:
        state = operations_service.read_operations(redis_client(), current_app.config["RQ_QUEUES"])
    except RedisError as error:
        current_app.logger.warning("operations page: Redis cannot be reached: %s", error)
        state = None
    return render_template("admin/operations.html", ops=state)


@bp.route("/operations/failed/<queue>/<job_id>/requeue", methods=["POST"])
@require_role("admin")
def operations_requeue(queue: str, job_id: str):
    """Put a failed job back in its queue (audited); 404 for a job that is not failed there."""
    if queue not in current_app.config["RQ_QUEUES"]:
        abort(404)
    try:
        operations_service.requeue_failed(redis_client(), queue, job_id)
    except operations_service.UnknownJob:
        abort(404)
    except RedisError as error:
        current_app.logger.warning("requeue of job %s: Redis cannot be reached: %s", job_id, error)
        flash(_("The job queue cannot be reached; nothing was requeued. Try again later."), "danger")
        return redirect(url_for("admin.operations"), 303)
    audit_service.record(
        "requeue", actor=current_user, ip=_ip(), object_type="rq_job", changes={"job": [None, job_id]}
    )
    db.session.commit()
    flash(_("Job %(job)s is back in the queue “%(queue)s”.", job=job_id, queue=queue), "success")
    return redirect(url_for("admin.operations"), 303)


#: the messages of ``report_admin``'s refusals (ReportAdminError codes)
REPORT_ADMIN_MESSAGES = {
    "cutoff_annual_only": _l(
        "Only an annual report can have a fixed cut-off; the others follow the 15th-to-14th rule."
    ),
    "cutoff_after_period": _l("A fixed cut-off falls by 14 December, the end of the annual period."),
    "deadline_levels": _l("Give a rule for every level."),
    "fixed_annual_only": _l(
        "A fixed date suits an annual report only: give the working days after the cut-off."
    ),
    "fixed_before_cutoff": _l("The deadline must come after the cut-off (%(cut_off)s)."),
    "holiday_taken": _l("This date is already in the list of holidays (%(name)s)."),
}


def _report_admin_error(form, error: ReportAdminError) -> None:
    field = form[error.field] if error.index is None else form.deadlines.entries[error.index][error.field]
    field.errors = [*field.errors, str(REPORT_ADMIN_MESSAGES[error.code]) % error.params]


@bp.route("/report-definitions")
@require_role("admin")
def report_definitions():
    """The periodic reports (NĐ 09/2019): their elements and each level's deadline rule."""
    rows = db.session.scalars(
        select(ReportDefinition)
        .options(selectinload(ReportDefinition.deadlines))
        .order_by(ReportDefinition.id)
    ).all()
    return render_template("admin/report_definitions.html", definitions=rows)


def _definition_form(definition: ReportDefinition) -> ReportDefinitionForm:
    form = ReportDefinitionForm(obj=definition)
    if len(form.deadlines.entries) != len(definition.deadlines):
        abort(400)  # the page posts one rule per level: a post without them is not from it
    return form


def _submitted_rules(form: ReportDefinitionForm, definition: ReportDefinition) -> CalendarRules:
    return CalendarRules(
        definition.frequency,
        form.cutoff_month.data,
        form.cutoff_day.data,
        tuple(
            DeadlineRule(
                row.level,
                row.receiving_level,
                entry.working_days.data,
                entry.fixed_month.data,
                entry.fixed_day.data,
            )
            for row, entry in zip(definition.deadlines, form.deadlines.entries, strict=True)
        ),
    )


def _submitted_preview(form: ReportDefinitionForm, definition: ReportDefinition) -> list | None:
    """The calendar of a validated form's rules, or None (the refusal on the form) when they fail."""
    if not form.rules_valid():
        return None
    rules = _submitted_rules(form, definition)
    try:
        report_admin.check_rules(definition, rules)
    except ReportAdminError as error:
        _report_admin_error(form, error)
        return None
    return report_admin.preview(rules, clock.today(), reports.holidays())


def _definition_page(form: ReportDefinitionForm, definition: ReportDefinition, preview: list | None) -> str:
    return render_template(
        "admin/report_definition_form.html", form=form, definition=definition, preview=preview
    )


@bp.route("/report-definitions/<int:definition_id>/edit", methods=["GET", "POST"])
@require_role("admin")
def report_definition_edit(definition_id: int):
    """Change a definition's elements and rules, with the calendar they give under the form."""
    definition = db.get_or_404(ReportDefinition, definition_id)
    form = _definition_form(definition)
    if not form.is_submitted():
        rows = report_admin.preview(report_admin.rules_of(definition), clock.today(), reports.holidays())
        return _definition_page(form, definition, rows)
    valid = form.validate()
    rows = _submitted_preview(form, definition)
    if valid and rows is not None:
        rules = _submitted_rules(form, definition)
        report_admin.save_definition(current_user, definition, form.data, rules, ip=_ip())
        db.session.commit()
        flash(_("Report definition saved. Reports already created keep their deadlines."), "success")
        return redirect(url_for("admin.report_definitions"))
    return _definition_page(form, definition, rows), 422


@bp.route("/report-definitions/<int:definition_id>/preview", methods=["POST"])
@require_role("admin")
def report_definition_preview(definition_id: int):
    """The calendar the submitted rules would give, saving nothing: the preview fragment for the
    form's live preview (htmx, target ``definition-preview``), else the whole form page."""
    definition = db.get_or_404(ReportDefinition, definition_id)
    form = _definition_form(definition)
    valid = form.validate()
    rows = _submitted_preview(form, definition)
    if wants_fragment("definition-preview"):
        html = render_template(
            "admin/_definition_preview.html", form=form, definition=definition, preview=rows, fragment=True
        )
        status = 200 if rows is not None else 422
    else:
        html = _definition_page(form, definition, rows)
        status = 200 if valid and rows is not None else 422
    return vary_on_htmx(make_response(html, status))


def _holiday_year() -> int:
    year = request.args.get("year", type=int)
    return year if year is not None and 1900 <= year <= 2999 else clock.today().year


def _holidays_page(form: HolidayForm, year: int) -> str:
    years = sorted({*report_admin.holiday_years(), clock.today().year, year})
    return render_template(
        "admin/holidays.html", form=form, year=year, years=years, holidays=report_admin.holidays_of(year)
    )


@bp.route("/holidays", methods=["GET", "POST"])
@require_role("admin")
def holidays():
    """The public holidays of a year (``?year=``, default this year); a POST adds one."""
    form = HolidayForm()
    year = _holiday_year()
    if form.validate_on_submit():
        try:
            holiday = report_admin.add_holiday(current_user, form.day.data, form.name.data, ip=_ip())
        except ReportAdminError as error:
            _report_admin_error(form, error)
        else:
            db.session.commit()
            flash(_("Holiday %(day)s added.", day=holiday.day.strftime("%d/%m/%Y")), "success")
            return redirect(url_for("admin.holidays", year=holiday.day.year), 303)
    if not form.is_submitted():
        return _holidays_page(form, year)
    return _holidays_page(form, form.day.data.year if form.day.data else year), 422


@bp.route("/holidays/<int:holiday_id>/delete", methods=["POST"])
@require_role("admin")
def holiday_delete(holiday_id: int):
    """Remove a holiday (audited); deadlines of reports already created stay as they are."""
    holiday = db.get_or_404(Holiday, holiday_id)
    day = holiday.day
    report_admin.delete_holiday(current_user, holiday, ip=_ip())
    db.session.commit()
    flash(_("Holiday %(day)s removed.", day=day.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("admin.holidays", year=day.year), 303)
