"""Flask-Login wiring: the session cookie names a server-side session row."""

from flask import make_response, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l

from app.extensions import login_manager
from app.htmx import is_htmx, redirect_htmx
from app.services import auth

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to continue.")
login_manager.login_message_category = "warning"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str):
    user = auth.user_for_session(session.get("sid"))
    if user is None or str(user.id) != user_id:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        return {"error": "authentication required"}, 401
    target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if is_htmx():
        return redirect_htmx(make_response("", 401), target)
    return redirect(target)
