"""Error handling in one place: htmx gets an alert fragment, browsers a page, the API JSON."""

import logging

from flask import Flask, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db
from app.htmx import is_htmx

log = logging.getLogger(__name__)


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You do not have permission to do this."),
        404: _("This page does not exist, or it is outside your area."),
        405: _("This action is not allowed here."),
        413: _("The file is too large."),
        429: _("Too many attempts. Please wait and try again."),
        500: _("Something went wrong on our side. Your change was not saved; please try again."),
        503: _("A service is temporarily unavailable. Please try again in a moment."),
    }


def _render(code: int, message: str | None = None):
    message = message or _titles().get(code, _("Error"))
    if request.path.startswith("/api/") or request.path == "/healthz":
        return {"error": message, "status": code}, code
    if is_htmx():
        return render_template("errors/_alert.html", code=code, message=message), code
    return render_template("errors/error.html", code=code, message=message), code


def handle_http(error: HTTPException):
    body, code = _render(error.code or 500)
    response = make_response(body, code)
    for name, value in error.get_headers():
        if name.lower() != "content-type":  # keep Allow (405), Retry-After, WWW-Authenticate
            response.headers[name] = value
    return response


def handle_csrf(error: CSRFError):
    return _render(400, _("Your form expired or did not come from this site. Reload the page and try again."))


def handle_500(error: Exception):
    db.session.rollback()
    original = getattr(error, "original_exception", None) or error
    log.exception("unhandled error", exc_info=original)
    return _render(500)


def init_errors(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(InternalServerError, handle_500)
    app.register_error_handler(Exception, handle_500)
