"""Route-level permissions: ``@require_role(...)`` (object scope is app.services.scope)."""

from collections.abc import Callable
from functools import wraps

from flask import abort, request
from flask_login import current_user, login_required

from app.extensions import db
from app.services import audit

EDITORS = ("staff", "admin")
READERS = ("staff", "supervisor", "manager", "admin")


def require_role(*roles: str) -> Callable:
    """Require login and one of ``roles``; a denial is audited and answers 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                audit.record(
                    "access_denied",
                    actor=current_user,
                    ip=request.remote_addr,
                    changes={"endpoint": request.endpoint, "method": request.method},
                )
                db.session.commit()
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
