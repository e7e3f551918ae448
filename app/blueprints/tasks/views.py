"""Support tasks: "My tasks", the task list, the inline status change and progress notes."""

from datetime import date
from functools import partial
from urllib.parse import urlsplit

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
from flask_wtf.csrf import generate_csrf

from app import downloads, labels
from app.blueprints.tasks.forms import (
    NoteForm,
    StatusForm,
    TaskFilterForm,
    TaskForm,
    fill_responsibility_choices,
    task_type_choices,
)
from app.extensions import db
from app.htmx import is_htmx, vary_on_htmx, wants_fragment
from app.models.tasks import SupportTask
from app.permissions import EDITORS, require_role
from app.services import audit_log, clock, evidence, exports, scope, tasks
from app.services import households as registry
from app.services.profile import household_profile

bp = Blueprint("tasks", __name__)


#: Refusals of a status change, and their HTTP status (anything else asks for a missing field)
REFUSALS = {"task_not_yours": 403, "transition_not_allowed": 422}


def _today() -> date:
    return clock.today()


#: above this many officers, the officer filter lists those of the chosen commune only
OFFICER_CHOICES_LIMIT = 100


def _filter_choices(form: TaskFilterForm, *, mine: bool) -> None:
    """The choices of the filters the page shows ("My tasks" has no commune or officer filter)."""
    form.type.choices = task_type_choices(_("All types"))
    if mine:
        return
    form.unit.choices = [("", _("All communes"))] + [
        (u.id, u.name) for u in scope.current_units_in_scope(current_user, ("commune", "town", "ward"))
    ]
    _officer_choices(form)


def _officer_choices(form: TaskFilterForm) -> None:
    """The officers of the chosen commune, or of the whole area while they are few: a list of
    a province's 500 would be of no use to pick from (and heavy on every page)."""
    unit_id = form.unit.data if not form.unit.errors else None
    officers = tasks.officer_names(current_user, unit_id, limit=OFFICER_CHOICES_LIMIT + 1)
    if unit_id is None and len(officers) > OFFICER_CHOICES_LIMIT:
        officer_id = form.officer.data if not form.officer.errors else None
        chosen = tasks.officer_names(current_user, officer_id=officer_id) if officer_id else []
        form.officer.choices = [("", _("All officers (choose a commune to pick one)"))] + chosen
    else:
        form.officer.choices = [("", _("All officers"))] + officers


def _filter_from(form: TaskFilterForm, *, mine: bool) -> tasks.TaskFilter:
    form.validate()

    def value(field):
        return None if field.errors or field.data in ("", None) else field.data

    group, sort = value(form.group), value(form.sort) or "due"
    return tasks.TaskFilter(
        unit_id=value(form.unit),
        status=value(form.status),
        type_id=value(form.type),
        officer_id=value(form.officer),
        overdue=value(form.due) == "overdue",
        due_soon=value(form.due) == "soon",
        mine=mine,
        sort="household" if group == "household" else ("due" if group == "due" else sort),
        page=value(form.page) or 1,
    )


def _list(*, mine: bool):
    form = TaskFilterForm(request.args)
    flt = _filter_from(form, mine=mine)
    today = _today()
    page = tasks.search_tasks(current_user, flt, today)
    context = row_context(today) | {
        "page": page,
        "form": form,
        "mine": mine,
        "group": form.group.data if not form.group.errors else "",
        "counts": tasks.task_counts(current_user, today, mine=mine),
    }
    if wants_fragment("task-results"):
        if not mine:  # the officers follow the chosen commune: their menu is swapped out of band
            _officer_choices(form)
        html = render_template("tasks/_results.html", officer_oob=not mine, **context)
        return vary_on_htmx(make_response(html))
    _filter_choices(form, mine=mine)
    return vary_on_htmx(make_response(render_template("tasks/index.html", **context)))


#: stands for a task or household id in a URL pattern (see ``_url_pattern``)
_ID = 987654321


def _url_pattern(endpoint: str, key: str) -> str:
    """The URL of ``endpoint`` with ``{}`` where the id goes: built once for a whole list."""
    return url_for(endpoint, **{key: _ID}).replace(str(_ID), "{}")


def row_context(today: date) -> dict:
    """What tasks/_task_row.html needs besides the task (also used by the household page).

    Everything that is the same for every row is computed here once: a list of 25 rows would
    otherwise pay for 5 URL builds, 6 translations and the user proxy in each row.
    """
    user = current_user._get_current_object()
    return {
        "today": today,
        "next_statuses": partial(tasks.next_statuses, user),
        "status_labels": labels.translated().TASK_STATUSES,
        "row_csrf": generate_csrf(),
        "row_urls": {
            "household": _url_pattern("households.detail", "household_id"),
            "status": _url_pattern("tasks.change_status", "task_id"),
            "notes": _url_pattern("tasks.notes", "task_id"),
        },
        "row_text": {
            "overdue": _("Overdue"),
            "soon": _("Due soon"),
            "new_status": _("New status"),
            "move_to": _("Move to…"),
            "apply": _("Update"),
            "notes": _("Notes"),
        },
    }


@bp.route("/export")
@login_required
def export():
    """The task list as filtered on screen (``mine=1``: "My tasks"), every page, as XLSX or CSV."""
    fmt = downloads.requested_format()
    mine = request.args.get("mine") == "1"
    today = clock.today()
    rows = tasks.export_rows(
        current_user, _filter_from(TaskFilterForm(request.args), mine=mine), today, exports.MAX_ROWS
    )
    if len(rows) > exports.MAX_ROWS:
        flash(_("More than %(n)s tasks match: narrow the list to export it.", n=exports.MAX_ROWS), "danger")
        return redirect(url_for("tasks.mine" if mine else "tasks.index"))
    index = scope.unit_index()
    statuses = labels.translated().TASK_STATUSES
    header = [
        _("Household"),
        _("Head of household"),
        _("Village"),
        _("Type"),
        _("Title"),
        _("Organisation"),
        _("Officer"),
        _("Start"),
        _("Due date"),
        _("Status"),
        _("Overdue"),
        _("Done on"),
        _("Amount (đồng)"),
        _("Fund source"),
        _("Employer"),
    ]
    body = []
    for code, head, unit_id, *task, status, done_on, amount, source, employer in rows:  # task: type … due
        overdue = status in tasks.OPEN_STATUSES and task[-1] < today
        village = index.units[unit_id].name
        shown = (statuses.get(status, status), _("yes") if overdue else "", done_on, amount, source, employer)
        body.append((code, head, village, *task, *shown))
    return downloads.download("my-tasks" if mine else "tasks", _("Support tasks"), header, body, fmt)


@bp.route("/mine")
@login_required
def mine():
    """The tasks of the officer, or of a supervisor's organisation: their working list."""
    return _list(mine=True)


@bp.route("")
@login_required
def index():
    """Every task in the user's scope, with filters."""
    return _list(mine=False)


def _render_row(
    task: SupportTask,
    *,
    form: StatusForm | None = None,
    asking: str | None = None,
    counters: str | None = None,
    status: int = 200,
):
    today = _today()
    context = row_context(today) | {
        "task": task,
        "form": form,
        "asking": asking,
        # what "done" asks for besides the free-text result, which the row always offers
        "outcome_inputs": [
            f for f in tasks.OUTCOME_FIELDS[task.task_type.outcome_kind] if f != "outcome_text"
        ],
        "counts": tasks.task_counts(current_user, today, mine=counters == "mine") if counters else None,
        "counters": counters,
    }
    return render_template("tasks/_row.html", **context), status


@bp.route("/new/<int:household_id>", methods=["GET", "POST"])
@require_role(*EDITORS)
def new(household_id: int):
    """A new task for a household; ``?type=`` preselects a type (from the exit path)."""
    household = registry.load_household(current_user, household_id)
    form = TaskForm()
    _task_choices(form, household)
    if request.method == "GET":
        _task_defaults(form, household, request.args.get("type", type=int))
    if form.validate_on_submit():
        try:
            task = tasks.create_task(current_user, household, form.data, ip=request.remote_addr)
        except tasks.TaskError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(labels.MESSAGES[str(error)])
        else:
            db.session.commit()
            flash(_("Task “%(title)s” created.", title=task.title), "success")
            return redirect(url_for("households.detail", household_id=household.id, _anchor="tasks"))
    status = 422 if form.is_submitted() else 200
    return render_template("tasks/new.html", form=form, household=household), status


def _task_choices(form: TaskForm, household) -> None:
    form.task_type_id.choices = task_type_choices(_("Choose a type of support"))
    form.member_id.choices = [("", _("The whole household"))] + [
        (m.id, m.full_name) for m in household.members
    ]
    fill_responsibility_choices(form, current_user, _("Choose an organisation"))


def _task_defaults(form: TaskForm, household, type_id: int | None) -> None:
    """The type asked for, and whoever follows the household already."""
    form.task_type_id.data = type_id
    assignment = household_profile(current_user, household).assignment
    if assignment is not None:
        form.organisation_id.data = assignment.organisation_id
        form.officer_id.data = assignment.officer_id


@bp.route("/<int:task_id>/row")
@login_required
def row(task_id: int):
    """One row of a task list (the cancel of an expanded row)."""
    return _render_row(tasks.load_task(current_user, task_id))


@bp.route("/<int:task_id>/status", methods=["POST"])
@login_required
def change_status(task_id: int):
    """Change a task's status from its row; a move that needs an outcome or a reason expands the
    row to ask for it (422), a move based on an old version answers 409 with the current row."""
    task = tasks.load_task_row(current_user, task_id)
    form = StatusForm()
    counters = form.counters.data if form.counters.data in ("mine", "all") else None
    if not form.validate() or not form.version.data.isdigit():
        return _render_row(task, form=form, asking=form.status.data, counters=counters, status=422)
    try:
        tasks.change_status(
            current_user,
            task,
            form.status.data,
            version=int(form.version.data),
            outcome={f: getattr(form, f).data for f in tasks.OUTCOME_COLUMNS},
            reason=form.reason.data,
            today=_today(),
            ip=request.remote_addr,
        )
    except tasks.StaleTask:
        db.session.rollback()
        flash(
            _(
                "Someone else changed this task a moment ago; its row now shows the current status. "
                "Check it, then change it again if you still need to."
            ),
            "warning",
        )
        return _render_row(tasks.load_task(current_user, task_id), counters=counters, status=409)
    except tasks.TaskError as error:
        db.session.rollback()
        task = tasks.load_task(current_user, task_id)
        message = labels.MESSAGES[str(error)]
        if str(error) in REFUSALS:  # nothing the user can add would help: say so, show the row
            flash(message, "danger")
            return _render_row(task, counters=counters, status=REFUSALS[str(error)])
        field = getattr(form, error.field, None) or form.status
        field.errors = [*field.errors, message]
        return _render_row(task, form=form, asking=form.status.data, counters=counters, status=422)
    if not is_htmx():
        db.session.commit()
        flash(_("Task updated."), "success")
        return redirect(request.referrer or url_for("tasks.mine"))
    _commit_keeping_loaded()
    return _render_row(task, counters=counters)


def _commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds: the row is then rendered from what was
    just written (the UPDATE checked its version, so it is the row as stored), not reloaded
    relation by relation."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


@bp.route("/<int:task_id>/notes", methods=["GET", "POST"])
@login_required
def notes(task_id: int):
    """The notes of a task, and a form to add one: a dialog over the list, or a page."""
    task = tasks.load_task(current_user, task_id)
    form = NoteForm()
    status = 200
    added = False
    if form.validate_on_submit():
        try:
            tasks.add_note(current_user, task, form.body.data, ip=request.remote_addr)
        except tasks.TaskError as error:
            db.session.rollback()
            form.body.errors = [labels.MESSAGES[str(error)]]
            status = 422
        else:
            db.session.commit()
            added = True
            form = NoteForm(formdata=None)
    elif form.is_submitted():
        status = 422
    context = row_context(_today()) | {
        "task": task,
        "form": form,
        "added": added,
        "history": audit_log.history(current_user, "support_tasks", task.id),
        "oob_row": added and is_htmx(),  # the row's note count, out of band
        "counters": _counters_of_page(),
    }
    template = "tasks/_notes.html" if is_htmx() else "tasks/notes.html"
    return render_template(template, **context), status


def _counters_of_page() -> str:
    """Which counters the page behind an htmx request shows (its rows ask for them again)."""
    path = urlsplit(request.headers.get("HX-Current-URL", "")).path
    return "mine" if path == url_for("tasks.mine") else "all"


@bp.route("/<int:task_id>/evidence", methods=["POST"])
@login_required
def add_evidence(task_id: int):
    """Attach a JPEG, PNG or PDF (at most 10 MB, checked by its content) to a task."""
    task = tasks.load_task(current_user, task_id)
    upload = request.files.get("file")
    status, message = 200, None
    try:
        if upload is None or not upload.filename:
            raise tasks.TaskError("file", "evidence_empty")
        evidence.add_evidence(current_user, task, upload.stream, upload.filename, ip=request.remote_addr)
    except tasks.TaskError as error:
        db.session.rollback()
        status, message = 422, labels.MESSAGES[str(error)]
    else:
        db.session.commit()
    if not is_htmx():
        flash(message or _("File attached."), "danger" if message else "success")
        return redirect(url_for("tasks.notes", task_id=task.id))
    context = row_context(_today()) | {
        "task": tasks.load_task(current_user, task_id),
        "form": NoteForm(formdata=None),
        "file_error": message,
        "history": audit_log.history(current_user, "support_tasks", task_id),
        "oob_row": False,
        "counters": _counters_of_page(),
    }
    return render_template("tasks/_notes.html", **context), status


@bp.route("/<int:task_id>/evidence/<int:evidence_id>")
@login_required
def evidence_file(task_id: int, evidence_id: int):
    """Download a task's file: only for a task in the user's scope, and only its own files."""
    task = tasks.load_task(current_user, task_id)
    row = next((e for e in task.evidence if e.id == evidence_id), None)
    path = evidence.evidence_path(row) if row else None
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.filename)


@bp.app_template_global()
def task_due_state(task: SupportTask, today: date) -> str:
    """ "overdue", "soon" or "" for an open task; "" once it is done or cancelled."""
    if task.is_overdue(today):
        return "overdue"
    return "soon" if task.is_due_soon(today, tasks.DUE_SOON_DAYS) else ""
