"""Login and logout."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.blueprints.auth.forms import LoginForm
from app.extensions import db
from app.htmx import is_htmx, redirect_htmx
from app.services import auth

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths; anything else goes to the home page."""
    if not target or urlsplit(target).netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        outcome = auth.authenticate(form.username.data, form.password.data, ip=request.remote_addr)
        if outcome.user is not None:
            locale = session.get("locale")
            session.clear()  # a fresh session at login: no fixation
            user_session = auth.open_session(outcome.user, ip=request.remote_addr)
            db.session.commit()
            session["sid"] = user_session.token
            if locale:
                session["locale"] = locale
            session.permanent = True
            login_user(outcome.user)
            return redirect(_safe_next(request.args.get("next")))
        db.session.commit()
        status = 422
        if outcome.locked:
            form.form_errors.append(_("Too many failed attempts. Try again in 15 minutes."))
        else:
            form.form_errors.append(_("Wrong username or password."))
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    auth.close_session(session.get("sid"), ip=request.remote_addr)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    if is_htmx():
        return redirect_htmx(make_response("", 204), url_for("auth.login"))
    return redirect(url_for("auth.login"))
