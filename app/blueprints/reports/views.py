"""Periodic reports: the lists (what is due, the approvals inbox, all), one report with its
generation progress and workflow, its files, and the compliance view."""

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select

from app import labels
from app.blueprints.reports.forms import (
    ComplianceForm,
    DecisionForm,
    ReopenForm,
    ReportFilterForm,
    SubmitForm,
)
from app.extensions import db
from app.htmx import is_htmx, vary_on_htmx, wants_fragment
from app.models import ReportDefinition, ReportVersion
from app.models.reports import ReportStatus
from app.models.users import Role
from app.services import audit_log, clock, report_generation, reports, scope
from app.tasks.queues import redis_client

bp = Blueprint("reports", __name__)


def _definitions() -> list[ReportDefinition]:
    return list(db.session.scalars(select(ReportDefinition).order_by(ReportDefinition.id)))


def _default_view() -> str:
    return {Role.MANAGER: "inbox", Role.STAFF: "due"}.get(current_user.role, "all")


@bp.route("")
@login_required
def index():
    """What is due, the approvals inbox, or every report in scope, with filters."""
    form = ReportFilterForm(request.args)
    form.view.choices = [("due", _("Due")), ("inbox", _("Awaiting my decision")), ("all", _("All reports"))]
    form.definition.choices = [("", _("All reports"))] + [(d.id, d.name) for d in _definitions()]
    form.unit.choices = [("", _("All units"))] + [
        (u.id, u.name)
        for u in scope.current_units_in_scope(
            current_user, ("district", "town", "commune", "ward", "province")
        )
    ]
    form.status.choices = [("", _("All statuses"))] + labels.choices(labels.REPORT_STATUSES)
    form.period.choices = [("", _("All periods"))] + [
        (key, labels.period_label(key)) for key in reports.periods_in_scope(current_user)
    ]
    form.validate()

    def value(field):
        return None if field.errors or field.data in ("", None) else field.data

    view = value(form.view) if value(form.view) in reports.VIEWS else _default_view()
    form.view.data = view
    flt = reports.ReportFilter(
        view=view,
        definition_id=value(form.definition),
        unit_id=value(form.unit),
        status=value(form.status),
        period=value(form.period),
        page=value(form.page) or 1,
    )
    page = reports.search(current_user, flt)
    context = {
        "form": form,
        "page": page,
        "view": view,
        "today": clock.today(),
        "counts": {v: reports.count_view(current_user, v) for v in ("due", "inbox")},
        "timeliness": reports.timeliness,
    }
    if wants_fragment("report-results"):
        return vary_on_htmx(make_response(render_template("reports/_results.html", **context)))
    return vary_on_htmx(make_response(render_template("reports/index.html", **context)))


def _job_progress(instance) -> dict | None:
    """The running job's progress (job.meta), or None when Redis does not know it (yet)."""
    try:
        job = Job.fetch(instance.job_id, connection=redis_client())
    except (NoSuchJobError, RedisError):
        return None
    return job.meta.get("progress") or {"step": "queued", "percent": 0}


def _panel_context(instance, **forms) -> dict:
    today = clock.today()
    version = str(instance.version)
    return {
        "report": instance,
        "allowed": reports.actions(current_user, instance),
        "progress": _job_progress(instance) if instance.status == ReportStatus.GENERATING else None,
        "state": reports.timeliness(instance, today),
        "today": today,
        "submit_form": forms.get("submit_form")
        or SubmitForm(version=version, commentary=instance.commentary),
        "decision_form": forms.get("decision_form") or DecisionForm(version=version),
        "reopen_form": forms.get("reopen_form") or ReopenForm(version=version),
    }


@bp.route("/<int:report_id>")
@login_required
def detail(report_id: int):
    instance = reports.load(current_user, report_id)
    context = _panel_context(instance) | {
        "history": audit_log.history(current_user, "report_instances", instance.id),
    }
    return render_template("reports/detail.html", **context)


@bp.route("/<int:report_id>/panel")
@login_required
def panel(report_id: int):
    """The status panel: polled every second while the report is generating (it replaces itself,
    and stops polling once the job has ended)."""
    instance = reports.load(current_user, report_id)
    return render_template("reports/_panel.html", **_panel_context(instance))


def _answer(instance, status: int = 200, **forms):
    """The panel for htmx, else back to the report page."""
    if is_htmx():
        return render_template("reports/_panel.html", **_panel_context(instance, **forms)), status
    return redirect(url_for("reports.detail", report_id=instance.id), code=303)


def _version_seen() -> int | None:
    value = request.form.get("version", "")
    return int(value) if value.isdigit() else None


@bp.route("/<int:report_id>/generate", methods=["POST"])
@login_required
def generate(report_id: int):
    """Generate now (or again, or retry a failed generation)."""
    instance = reports.load(current_user, report_id)
    try:
        report_generation.request(instance, current_user, version=_version_seen(), ip=request.remote_addr)
    except reports.ReportError as error:
        db.session.rollback()
        db.session.refresh(instance)
        flash(labels.MESSAGES[str(error)], "warning")
        return _answer(instance, 409)
    db.session.commit()
    try:
        report_generation.dispatch(instance)
    except report_generation.QueueUnavailable:
        flash(
            _(
                "The job queue cannot be reached right now. Your request is recorded: the report "
                "will be generated as soon as the queue is back, without you doing anything."
            ),
            "warning",
        )
        return _answer(instance, 503)
    flash(_("Generating version %(n)s…", n=instance.version), "info")
    return _answer(instance)


def _workflow(report_id: int, form_class, key: str, act):
    """Validate a workflow form, act, commit; a stale version answers 409 with the current panel,
    a refusal or a missing field 422 with the form and its message."""
    instance = reports.load(current_user, report_id)
    form = form_class()
    if not form.validate():
        return _answer(instance, 422, **{key: form})
    try:
        act(instance, form)
    except reports.StaleReport:
        db.session.rollback()
        db.session.refresh(instance)
        flash(
            _("Someone else changed this report a moment ago; the page now shows its current state."),
            "warning",
        )
        return _answer(instance, 409)
    except reports.ReportError as error:
        db.session.rollback()
        db.session.refresh(instance)
        message = labels.MESSAGES[str(error)]
        field = getattr(form, error.field or "", None)
        if field is None:
            flash(message, "danger")
            return _answer(instance, 403 if str(error) != "report_changed" else 409)
        field.errors = [*field.errors, message]
        return _answer(instance, 422, **{key: form})
    db.session.commit()
    return _answer(instance)


@bp.route("/<int:report_id>/submit", methods=["POST"])
@login_required
def submit(report_id: int):
    def act(instance, form):
        reports.submit(
            current_user,
            instance,
            form.commentary.data,
            version=int(form.version.data),
            ip=request.remote_addr,
        )
        flash(_("Report submitted."), "success")

    return _workflow(report_id, SubmitForm, "submit_form", act)


@bp.route("/<int:report_id>/decide/<action>", methods=["POST"])
@login_required
def decide(report_id: int, action: str):
    if action not in ("approve", "return"):
        abort(404)

    def act(instance, form):
        reports.decide(
            current_user,
            instance,
            action,
            form.comment.data,
            version=int(form.version.data),
            ip=request.remote_addr,
        )
        flash(
            _("Report approved.") if action == "approve" else _("Report returned to its preparer."), "success"
        )

    return _workflow(report_id, DecisionForm, "decision_form", act)


@bp.route("/<int:report_id>/reopen", methods=["POST"])
@login_required
def reopen(report_id: int):
    def act(instance, form):
        reports.reopen(
            current_user, instance, form.reason.data, version=int(form.version.data), ip=request.remote_addr
        )
        flash(_("Report reopened."), "success")

    return _workflow(report_id, ReopenForm, "reopen_form", act)


@bp.route("/<int:report_id>/versions/<int:number>/<kind>")
@login_required
def download(report_id: int, number: int, kind: str):
    """A version's PDF or XLSX, only within scope."""
    if kind not in ("pdf", "xlsx"):
        abort(404)
    instance = reports.load(current_user, report_id)
    version = db.session.scalar(
        select(ReportVersion).where(ReportVersion.instance_id == instance.id, ReportVersion.number == number)
    )
    if version is None:
        abort(404)
    name = version.pdf_name if kind == "pdf" else version.xlsx_name
    path = report_generation.storage_dir() / Path(name).name
    if not path.is_file():
        abort(404)
    download_name = f"{instance.definition.code}-{instance.period}-{instance.unit.code}-v{number}.{kind}"
    response = send_file(path, as_attachment=kind == "xlsx", download_name=download_name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/compliance")
@login_required
def compliance():
    """Units × periods of one report: on time, late, missing, returned, approved; the rates."""
    definitions = _definitions()
    form = ComplianceForm(request.args)
    form.definition.choices = [(d.id, d.name) for d in definitions]
    today = clock.today()
    years = list(range(definitions[0].starts_on.year, today.year + 1)) if definitions else [today.year]
    form.year.choices = [(y, str(y)) for y in reversed(years)]
    form.validate()
    chosen = next((d for d in definitions if d.id == form.definition.data), None)
    chosen = chosen or reports.busiest_definition(current_user, definitions, today)
    year = form.year.data if form.year.data in years else today.year
    form.definition.data, form.year.data = (chosen.id if chosen else None), year
    table = reports.compliance(current_user, chosen, year, today) if chosen else None
    context = {"form": form, "table": table, "year": year, "today": today}
    if wants_fragment("compliance-results"):
        return vary_on_htmx(make_response(render_template("reports/_compliance.html", **context)))
    return vary_on_htmx(make_response(render_template("reports/compliance.html", **context)))
