"""Home page with the scope's headline figures, language choice and health."""

from datetime import date
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from app.extensions import db
from app.services import clock, overview, scope, targets, tasks
from app.tasks.queues import redis_client

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index():
    if current_user.role == "supervisor" and not request.args:
        return redirect(url_for("tasks.mine"))  # a supervisor works from their tasks
    year = request.args.get("year", type=int)
    unit = scope.unit_in_scope_or_404(current_user, request.args.get("unit"), year)
    today = clock.today()
    plans = targets.plan_years(unit.id, today.year)
    plan = request.args.get("plan", type=int)
    plan = plan if plan in plans else today.year
    board = overview.dashboard(unit, year, plan, today)
    return render_template(
        "main/index.html",
        summary=board.headline,
        trail=_trail(unit),
        plan=plan,
        plans=plans,
        as_of=min(today, date(plan, 12, 31)),
        progress=board.progress,
        work=board.work,
        mine=tasks.task_counts(current_user, today, mine=True),
        today=today,
    )


def _trail(unit: scope.Unit) -> list[scope.Unit]:
    """The units from the user's own down to ``unit``'s parent: the way back up a drill-down."""
    if unit.id == current_user.scope_unit_id:
        return []
    index = scope.unit_index()
    allowed = scope.scope_unit_ids(current_user)
    return [u for u in index.ancestors(unit.id) if u.id in allowed]


@bp.route("/locale", methods=["POST"])
def set_locale():
    locale = request.form.get("locale")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    target = request.form.get("next") or ""
    if urlsplit(target).netloc or not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    return redirect(target)


@bp.route("/healthz")
def healthz():
    """Database and Redis state, no personal data, no login."""
    state = {"database": "ok", "redis": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        state["database"] = f"error: {type(exc).__name__}"
        db.session.rollback()
    try:
        redis_client().ping()
    except Exception as exc:  # noqa: BLE001
        state["redis"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in state.values())
    return jsonify(status="ok" if healthy else "degraded", **state), 200 if healthy else 503
