"""The notification centre: the list, the unread badge (polled by htmx) and marking as read."""

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.htmx import is_htmx, vary_on_htmx
from app.services import notifications

bp = Blueprint("notifications", __name__)


@bp.app_template_global()
def unread_notifications() -> int:
    return notifications.unread_count(current_user) if current_user.is_authenticated else 0


@bp.route("")
@login_required
def index():
    page = notifications.recent(current_user, request.args.get("page", 1, type=int))
    return render_template(
        "notifications/index.html", page=page, unread=notifications.unread_count(current_user)
    )


@bp.route("/badge")
@login_required
def badge():
    """The bell with its unread count: the layout's copy asks for this every minute."""
    response = make_response(
        render_template("notifications/_bell.html", unread=notifications.unread_count(current_user))
    )
    return vary_on_htmx(response)


@bp.route("/<int:notification_id>")
@login_required
def open_(notification_id: int):
    """Mark one notification read and go where it points."""
    row = notifications.own(current_user, notification_id)
    if row is None:
        abort(404)
    notifications.mark_read(current_user, row.id)
    db.session.commit()
    return redirect(row.link or url_for("notifications.index"))


@bp.route("/read", methods=["POST"])
@login_required
def read_all():
    notifications.mark_read(current_user)
    db.session.commit()
    if is_htmx():
        return badge()
    return redirect(url_for("notifications.index"))
