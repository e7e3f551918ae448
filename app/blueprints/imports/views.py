"""The HTTP edge of XLSX imports (app/services/imports.py): upload and history, the template, one
batch's progress, problems or preview, and its confirmation or cancellation. Editors only."""

from flask import Blueprint, Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from redis.exceptions import RedisError

from app.blueprints.imports.forms import XLSX_TYPES, PageForm, UploadForm
from app.downloads import TYPES
from app.extensions import db
from app.htmx import is_htmx, vary_on_htmx, wants_fragment
from app.models import ImportBatch
from app.models.imports import ImportStatus
from app.permissions import EDITORS, require_role
from app.services import imports
from app.services.xlsx_guard import UploadRefused
from app.tasks import imports as jobs

bp = Blueprint("imports", __name__)

RUNNING = (ImportStatus.QUEUED, ImportStatus.PARSING, ImportStatus.COMMITTING)


def _page() -> int:
    return PageForm(request.args).number()


def _queue_down() -> str:
    return _("The job queue cannot be reached right now. Nothing was lost: try again in a moment.")


@bp.route("/", methods=["GET", "POST"])
@require_role(*EDITORS)
def index():
    """The upload form and the imports of the user's area. An upload is checked by its content
    (422 beside the field, nothing stored), stored, queued for checking, then its page (303)."""
    form = UploadForm()
    if form.validate_on_submit():
        try:
            batch = imports.receive(current_user, form.file.data.stream, form.file.data.filename)
        except UploadRefused as refused:
            db.session.rollback()
            form.file.errors = [*form.file.errors, refused.message]
        else:
            db.session.commit()
            if not _dispatch(jobs.parse_import, batch):
                imports.not_enqueued(batch, "RedisError: the job queue could not be reached")
                db.session.commit()
                flash(_queue_down(), "warning")
            return redirect(url_for("imports.detail", batch_id=batch.id), code=303)
    history = imports.history(current_user, _page())
    if wants_fragment("import-history"):
        return vary_on_htmx(make_response(render_template("imports/_history.html", history=history)))
    status = 422 if form.is_submitted() else 200
    page = render_template("imports/index.html", form=form, history=history, accept=XLSX_TYPES)
    return vary_on_htmx(make_response(page, status))


def _dispatch(job, batch: ImportBatch) -> bool:
    try:
        jobs.dispatch(job, batch.id)
    except RedisError:
        return False
    return True


@bp.route("/template.xlsx")
@require_role(*EDITORS)
def template():
    """The workbook to fill in, with the villages and codes the user may use."""
    return Response(
        imports.template_for(current_user),
        mimetype=TYPES["xlsx"],
        headers={"Content-Disposition": 'attachment; filename="mau-nhap-ho-gia-dinh.xlsx"'},
    )


def _context(batch: ImportBatch) -> dict:
    return {
        "batch": batch,
        "running": batch.status in RUNNING,
        "mine": batch.user_id == current_user.id,
        "problems": imports.problem_page(batch, _page()),
        "earlier": imports.earlier_import(current_user, batch),
        "written": jobs.written_so_far(batch.id) if batch.status == ImportStatus.COMMITTING else None,
    }


@bp.route("/<int:batch_id>")
@require_role(*EDITORS)
def detail(batch_id: int):
    """One batch: its progress while a job works on it (the panel polls itself), its problems,
    what it would change (with Confirm and Cancel), or what it changed."""
    batch = imports.load_batch(current_user, batch_id)
    context = _context(batch)
    if wants_fragment("import-problems"):
        return vary_on_htmx(make_response(render_template("imports/_problems.html", **context)))
    if wants_fragment("import-batch"):
        return vary_on_htmx(make_response(render_template("imports/_batch.html", **context)))
    return vary_on_htmx(make_response(render_template("imports/detail.html", **context)))


def _answer(batch: ImportBatch, status: int = 200):
    """The batch's panel for htmx, else back to the batch's page."""
    if is_htmx():
        return render_template("imports/_batch.html", **_context(batch)), status
    return redirect(url_for("imports.detail", batch_id=batch.id), code=303)


@bp.route("/<int:batch_id>/confirm", methods=["POST"])
@require_role(*EDITORS)
def confirm(batch_id: int):
    """Write a ready batch (the uploader's own): checked again, then written in one transaction."""
    batch = imports.load_batch(current_user, batch_id)
    if not imports.confirm(current_user, batch):
        db.session.rollback()
        flash(_("This import cannot be confirmed: it is not ready, or it is not your upload."), "warning")
        return _answer(batch, 409)
    db.session.commit()
    if not _dispatch(jobs.commit_import, batch):
        imports.unconfirm(current_user, batch)
        db.session.commit()
        flash(_queue_down(), "warning")
        return _answer(batch, 503)
    flash(_("Confirmed: the file is checked once more and written to the registry."), "info")
    return _answer(batch)


@bp.route("/<int:batch_id>/cancel", methods=["POST"])
@require_role(*EDITORS)
def cancel(batch_id: int):
    """Give up a checked batch (the uploader's own): nothing is written, the stored file is removed."""
    batch = imports.load_batch(current_user, batch_id)
    if not imports.cancel(current_user, batch):
        db.session.rollback()
        flash(
            _("This import cannot be cancelled: it is being written or done, or it is not your upload."),
            "warning",
        )
        return _answer(batch, 409)
    db.session.commit()
    imports.discard(batch)
    flash(_("Import cancelled: nothing was written, and the file was discarded."), "success")
    return _answer(batch)
