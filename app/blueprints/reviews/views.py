"""The review year: a commune's review rounds (entries, the procedure's checklist, preliminary and
official results), the preview of a new standard, and the movements between two review years
(``?unit=<code>&from=<year>&to=<year>&kind=<kind>&page=<n>``), within the scope."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import downloads, htmx, labels
from app.blueprints.reviews import forms
from app.extensions import db
from app.models import Household, ReviewRequest, ReviewRound
from app.models.catalogues import PovertyCause
from app.models.reviews import RoundStage
from app.permissions import EDITORS, READERS, require_role
from app.services import audit, clock, evidence, exports, review_rounds, scope, stats
from app.services import movements as movement_service
from app.services import standard_preview as standard_preview_service
from app.services.households import Page
from app.templating import number as format_number

bp = Blueprint("reviews", __name__)

T = TypeVar("T")

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


@dataclass
class _Compared:
    """What the movements page and its export compare: two official years among ``years``, in a
    unit; while a year's review is under way somewhere (``unfinished``), only the ``communes``
    that finished every such year (None: both years complete)."""

    years: list[int]
    first: int | None
    last: int | None
    unit: scope.Unit
    unfinished: list[int]
    communes: list[int] | None


def _compared() -> _Compared:
    years = stats.official_years(current_user, complete=False)
    first, last = _years(years)
    unit = scope.unit_in_scope_or_404(current_user, request.args.get("unit"), last)
    under_way = stats.reviews_under_way(current_user)
    unfinished = sorted(under_way.keys() & {first, last})
    communes = sorted(frozenset.intersection(*(under_way[y] for y in unfinished))) if unfinished else None
    return _Compared(years, first, last, unit, unfinished, communes)


@bp.route("/movements")
@require_role(*READERS)
def movements():
    """How the households of a unit moved between two official reviews: counts by kind, by commune,
    ethnicity and cause, the households of one kind, and the year's preliminary → official changes."""
    compared = _compared()
    first, last, unit = compared.first, compared.last, compared.unit
    kinds = list(movement_service.KINDS)
    kind = request.args.get("kind") if request.args.get("kind") in kinds else None
    context = {
        "unit": unit,
        "years": compared.years,
        "first": first,
        "last": last,
        "kinds": kinds,
        "kind": kind,
    }
    context["unfinished"] = compared.unfinished
    context["compared"] = [scope.unit_index().units[c].name for c in compared.communes or ()]
    kinds_of_units = ("province", "district", "commune", "town", "ward")
    context["units"] = scope.current_units_in_scope(current_user, kinds_of_units)
    if first is None or last is None:
        return render_template("reviews/movements.html", found=None, **context)
    found = movement_service.movements(current_user, unit, first, last, communes=compared.communes)
    moved = movement_service.households(found, _cause_names(), current_user)
    listed = [m for m in moved if kind is None or m.kind == kind]
    page = Page.of(listed, request.args.get("page", 1, type=int), PER_PAGE)
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
    compared = _compared()
    first, last = compared.first, compared.last
    if first is None or last is None:
        abort(404)
    kind = request.args.get("kind")
    found = movement_service.movements(current_user, compared.unit, first, last, communes=compared.communes)
    names = labels.translated().TRANSITIONS
    header = [_("Code"), _("Head of household"), _("Commune"), _("Ethnicity"), _("Causes"), _("Movement")]
    rows = [
        (m.code, m.head_name, m.commune, m.ethnicity, ", ".join(m.causes), names[m.kind])
        for m in movement_service.households(found, _cause_names())
        if kind not in movement_service.KINDS or m.kind == kind
    ]
    return downloads.download(f"movements-{first}-{last}", _("Movements"), header, rows, fmt)


# --- review rounds -------------------------------------------------------------------------------


def _communes() -> list[scope.Unit]:
    return scope.current_units_in_scope(current_user, ("commune", "town", "ward"))


def _refused(form, error: review_rounds.RoundError) -> None:
    """Show a refusal beside its field (or at the top of the form)."""
    target = getattr(form, error.field, None)
    message = labels.MESSAGES[str(error)]
    if target is not None and hasattr(target, "errors") and isinstance(target.errors, list):
        target.errors.append(message)
    else:
        form.form_errors.append(message)


def _saved(form, action: Callable[[], T], message: str | Callable[[T], str], target: Callable[[T], str]):
    """Run a service call for a valid form: commit, flash ``message`` and redirect (303) to
    ``target(result)``. None when the form is invalid or the service refused (its reason beside
    its field): the caller shows the form again (422)."""
    if not form.validate_on_submit():
        return None
    try:
        result = action()
    except review_rounds.RoundError as error:
        db.session.rollback()
        _refused(form, error)
        return None
    db.session.commit()
    flash(message(result) if callable(message) else message, "success")
    return redirect(target(result), 303)


@bp.route("/", methods=["GET", "POST"])
@require_role(*READERS)
def rounds():
    """The reviews of the communes in scope, newest first, and (for staff) opening one."""
    form = forms.OpenRoundForm(communes=_communes(), year=clock.today().year)
    status = 200
    if request.method == "POST":
        if current_user.role not in EDITORS:
            abort(403)
        done = _saved(
            form,
            lambda: review_rounds.open_round(
                current_user,
                form.unit.data,
                form.year.data,
                form.round_type.data,
                form.month.data,
                ip=request.remote_addr,
            ),
            _("Review opened."),
            lambda row: url_for("reviews.round_page", round_id=row.id),
        )
        if done:
            return done
        status = 422
    listed = db.session.scalars(
        scope.scoped(ReviewRound, current_user)
        .options(selectinload(ReviewRound.unit))
        .order_by(ReviewRound.year.desc(), ReviewRound.month.desc(), ReviewRound.unit_id)
    ).all()
    progress = review_rounds.entry_counts([r.id for r in listed])
    return render_template("reviews/rounds.html", form=form, listed=listed, progress=progress), status


def _round(round_id: int) -> ReviewRound:
    return scope.get_or_404(ReviewRound, round_id, current_user, selectinload(ReviewRound.standard))


def _round_page(row: ReviewRound, status: int = 200, **forms_given):
    """The round's page: its stage and actions, the procedure's checklist, and its households."""
    context = {
        "posting_form": forms.PostingForm(obj=row),
        "request_form": forms.RequestForm(received_on=clock.today()),
        "recognise_form": forms.RecogniseForm(decision_date=review_rounds.default_decision_date(row)),
        "process_form": forms.ProcessRequestForm(processed_on=clock.today()),
    }
    context.update(forms_given)
    checklist = review_rounds.checklist(row)
    requests = db.session.scalars(
        select(ReviewRequest)
        .where(ReviewRequest.round_id == row.id)
        .options(selectinload(ReviewRequest.household))
        .order_by(ReviewRequest.received_on, ReviewRequest.id)
    ).all()
    return (
        render_template(
            "reviews/round.html",
            row=row,
            checklist=checklist,
            requests=requests,
            deadlines=review_rounds.deadlines(row),
            counts=review_rounds.results_by_kind(row),
            households=_round_households(row),
            can_edit=current_user.role in EDITORS and row.stage != RoundStage.OFFICIAL,
            can_recognise=current_user.role in review_rounds.RECOGNISERS,
            **context,
        ),
        status,
    )


@bp.route("/<int:round_id>/export")
@require_role(*READERS)
def round_export(round_id: int):
    """The round's households as filtered on its page (``q``, ``state``), with their figures and
    results, as XLSX or CSV."""
    fmt = downloads.requested_format()
    row = _round(round_id)
    listed = review_rounds.household_list(
        row, request.args.get("q", ""), request.args.get("state", ""), exports.MAX_ROWS
    )
    names = labels.translated()
    header = [
        _("Code"),
        _("Head of household"),
        _("Village"),
        _("Income per person per month"),
        _("Deprived in"),
        _("Computed result"),
        _("Result"),
        _("Reason for a result other than the computed one"),
    ]
    rows = [
        (item.household.code, item.household.head_name, item.village)
        + (
            (
                e.income_per_month,
                ", ".join(i.name for i in e.deprivations),
                names.RESULTS[e.computed_result],
                names.RESULTS[e.result],
                e.override_reason or "",
            )
            if (e := item.entry)
            else (None, "", "", _("not yet recorded"), "")
        )
        for item in listed
    ]
    name = f"review-{row.unit.code}-{row.year}" + (f"-{row.month:02d}" if row.month else "")
    return downloads.download(name, _("Review %(year)s", year=row.year), header, rows, fmt)


def _round_households(row: ReviewRound) -> Page:
    """The round's households for the list: ``?q=`` (name or code, diacritics ignored),
    ``?state=todo|done|overridden``, ``?page=``."""
    state = request.args.get("state", "")
    page = max(1, request.args.get("page", 1, type=int))
    return review_rounds.household_page(row, request.args.get("q", ""), state, page, PER_PAGE)


@bp.route("/<int:round_id>")
@require_role(*READERS)
def round_page(round_id: int):
    row = _round(round_id)
    if htmx.wants_fragment("round-households"):
        return htmx.vary_on_htmx(
            make_response(
                render_template("reviews/_round_households.html", row=row, households=_round_households(row))
            )
        )
    return htmx.vary_on_htmx(make_response(_round_page(row)))


@bp.route("/<int:round_id>/households/<int:household_id>", methods=["GET", "POST"])
@require_role(*READERS)
def entry(round_id: int, household_id: int):
    """A household's figures in the round: income, deprivations, and the result they give."""
    row = _round(round_id)
    household = scope.get_or_404(Household, household_id, current_user)
    if not review_rounds.in_round(row, household):
        abort(404)
    current = review_rounds.entry_of(row, household)
    form = forms.EntryForm(standard=row.standard)
    if request.method == "GET" and current is not None:
        form.income.data = format_number(current.income_per_month)
        form.deprivations.data = [i.id for i in current.deprivations]
        form.result.data = current.result if current.overridden else ""
        form.reason.data = current.override_reason
    status = 200
    if request.method == "POST":
        if current_user.role not in EDITORS:
            abort(403)
        data = review_rounds.EntryInput(
            income=getattr(form.income, "amount", None),
            indicator_ids=form.deprivations.data or [],
            result=form.result.data or None,
            reason=form.reason.data,
        )
        done = _saved(
            form,
            lambda: review_rounds.record_entry(current_user, row, household, data, ip=request.remote_addr),
            _("Figures of %(household)s recorded.", household=household.head_name),
            lambda _entry: _after_entry(row, household),
        )
        if done:
            return done
        status = 422
    computed = review_rounds.preview_entry(row, household, form) if request.method == "POST" else None
    if computed is None and current is not None:
        computed = review_rounds.classify_entry(
            row, household, current.income_per_month, len(current.deprivations)
        )
    return render_template(
        "reviews/entry.html",
        row=row,
        household=household,
        current=current,
        form=form,
        computed=computed,
        previous=review_rounds.previous_result(household, row.year),
        can_edit=current_user.role in EDITORS and row.stage != RoundStage.OFFICIAL,
    ), status


def _after_entry(row: ReviewRound, household: Household) -> str:
    """Where "save" goes: the next household not yet recorded ("save and next"), or the list."""
    following = review_rounds.next_household(row, household) if "next" in request.form else None
    if following is not None:
        return url_for("reviews.entry", round_id=row.id, household_id=following.id)
    return url_for("reviews.round_page", round_id=row.id) + "#round-households"


@bp.route("/<int:round_id>/households/<int:household_id>/classify", methods=["POST"])
@require_role(*EDITORS)
def classify_preview(round_id: int, household_id: int):
    """The result the figures typed so far give (the entry form's live preview)."""
    row = _round(round_id)
    household = scope.get_or_404(Household, household_id, current_user)
    if not review_rounds.in_round(row, household):
        abort(404)
    form = forms.EntryForm(standard=row.standard)
    form.validate()
    computed = review_rounds.preview_entry(row, household, form)
    return render_template("reviews/_computed.html", computed=computed, row=row)


@bp.route("/<int:round_id>/meetings/<int:village_id>", methods=["GET", "POST"])
@require_role(*READERS)
def meeting(round_id: int, village_id: int):
    """A village's meeting: date, attendance and agreement, and its two signed minutes."""
    row = _round(round_id)
    village = review_rounds.village_of(row, village_id)
    if village is None:
        abort(404)
    current = review_rounds.meeting_of(row, village_id)
    form = forms.MeetingForm(obj=current, village=village_id)
    status = 200
    if request.method == "POST":
        if current_user.role not in EDITORS:
            abort(403)
        done = _saved(
            form,
            lambda: review_rounds.save_meeting(
                current_user,
                row,
                village_id,
                form.held_on.data,
                form.attendees.data,
                form.agreeing.data,
                ip=request.remote_addr,
            ),
            _("Meeting of %(village)s recorded.", village=village.name),
            lambda _meeting: url_for("reviews.meeting", round_id=row.id, village_id=village_id),
        )
        if done:
            return done
        status = 422
    return _meeting_page(row, village, current, form, forms.MinutesForm(), status)


def _meeting_page(row, village, current, form, minutes_form, status=200):
    return render_template(
        "reviews/meeting.html",
        row=row,
        village=village,
        current=current,
        form=form,
        minutes_form=minutes_form,
        needed=review_rounds.MINUTES_PER_MEETING,
        can_edit=current_user.role in EDITORS and row.stage != RoundStage.OFFICIAL,
    ), status


@bp.route("/<int:round_id>/meetings/<int:village_id>/minutes", methods=["POST"])
@require_role(*EDITORS)
def add_minutes(round_id: int, village_id: int):
    row = _round(round_id)
    village = review_rounds.village_of(row, village_id)
    current = review_rounds.meeting_of(row, village_id)
    if village is None or current is None:
        abort(404)
    minutes_form = forms.MinutesForm()
    upload = minutes_form.file.data
    done = _saved(
        minutes_form,
        lambda: review_rounds.add_minutes(
            current_user, current, upload.stream, upload.filename, ip=request.remote_addr
        ),
        _("Minutes attached."),
        lambda _minutes: url_for("reviews.meeting", round_id=row.id, village_id=village_id),
    )
    if done:
        return done
    return _meeting_page(
        row, village, current, forms.MeetingForm(obj=current, village=village_id), minutes_form, 422
    )


@bp.route("/minutes/<int:minutes_id>")
@require_role(*READERS)
def minutes_file(minutes_id: int):
    found = review_rounds.minutes_in_scope(current_user, minutes_id)
    if found is None:
        abort(404)
    audit.record("download", actor=current_user, ip=request.remote_addr, obj=found)
    db.session.commit()
    return send_file(
        evidence.storage_dir("minutes") / found.stored_name,
        mimetype=found.content_type,
        download_name=found.filename,
        as_attachment=found.content_type != "application/pdf",
    )


def _round_action(round_id: int, form_name: str, form_class, action) -> Response:
    """Run one of the round page's forms (``action`` returns the message to flash): back to the
    page on success; the page with the refusal beside its field (422) otherwise."""
    row = _round(round_id)
    form = form_class()
    done = _saved(
        form,
        lambda: action(row, form),
        lambda message: message,
        lambda _: url_for("reviews.round_page", round_id=row.id),
    )
    if done:
        return done
    return _round_page(row, 422, **{form_name: form})


@bp.route("/<int:round_id>/posting", methods=["POST"])
@require_role(*EDITORS)
def posting(round_id: int):
    def action(row, form):
        review_rounds.set_posting(
            current_user, row, form.posting_from.data, form.posting_to.data, ip=request.remote_addr
        )
        return _("Public posting recorded.")

    return _round_action(round_id, "posting_form", forms.PostingForm, action)


@bp.route("/<int:round_id>/requests", methods=["POST"])
@require_role(*EDITORS)
def add_request(round_id: int):
    def action(row, form):
        household = review_rounds.household_by_code(current_user, row, form.household.data)
        review_rounds.add_request(current_user, row, household, form.received_on.data, ip=request.remote_addr)
        return _("Request registered.")

    return _round_action(round_id, "request_form", forms.RequestForm, action)


@bp.route("/<int:round_id>/requests/<int:request_id>", methods=["POST"])
@require_role(*EDITORS)
def process_request(round_id: int, request_id: int):
    def action(row, form):
        found = db.session.get(ReviewRequest, request_id)
        if found is None or found.round_id != row.id:
            abort(404)
        review_rounds.process_request(
            current_user,
            found,
            form.outcome.data,
            form.processed_on.data,
            form.note.data,
            ip=request.remote_addr,
        )
        return _("Request processed.")

    return _round_action(round_id, "process_form", forms.ProcessRequestForm, action)


@bp.route("/<int:round_id>/preliminary", methods=["POST"])
@require_role(*EDITORS)
def preliminary(round_id: int):
    def action(row, form):
        written = review_rounds.publish_preliminary(current_user, row, ip=request.remote_addr)
        return _("Preliminary results published (%(n)s records written).", n=format_number(written))

    return _round_action(round_id, "publish_form", FlaskForm, action)


@bp.route("/<int:round_id>/recognise", methods=["POST"])
@require_role(*review_rounds.RECOGNISERS)
def recognise(round_id: int):
    def action(row, form):
        written = review_rounds.recognise(
            current_user, row, form.decision_number.data, form.decision_date.data, ip=request.remote_addr
        )
        return _("Official results recognised (%(n)s records written).", n=format_number(written))

    return _round_action(round_id, "recognise_form", forms.RecogniseForm, action)


@bp.route("/standard-preview")
@require_role(*READERS)
def standard_preview():
    """Who would change status if the registry were classified under the next standard."""
    years = standard_preview_service.new_standard_years()
    year = request.args.get("year", type=int)
    year = year if year in years else (years[0] if years else None)
    unit = scope.unit_in_scope_or_404(current_user, request.args.get("unit"))
    units = scope.current_units_in_scope(current_user, ("province", "district", "commune", "town", "ward"))
    found = standard_preview_service.preview(current_user, unit, year) if year else None
    page = None
    if found is not None:
        page = Page.of(found.changes, request.args.get("page", 1, type=int), PER_PAGE)
    return render_template(
        "reviews/standard_preview.html",
        years=years,
        year=year,
        unit=unit,
        units=units,
        found=found,
        page=page,
    )
