"""The one place that decides between a whole page and a fragment."""

from flask import Flask, Response, render_template, request, session


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def wants_fragment(target: str | None = None) -> bool:
    """True for an htmx request that is not boosted and not a history restore.

    :param target: when given, also require ``HX-Target`` (or ``HX-Trigger``)
        to name it, as contact.app keys on ``HX-Trigger == "search"``.
    """
    if not is_htmx():
        return False
    if request.headers.get("HX-Boosted") == "true":
        return False
    if request.headers.get("HX-History-Restore-Request") == "true":
        return False
    if target is None:
        return True
    return target in (request.headers.get("HX-Target"), request.headers.get("HX-Trigger"))


def vary_on_htmx(response: Response) -> Response:
    response.vary.add("HX-Request")
    return response


def redirect_htmx(response: Response, location: str) -> Response:
    """Make an htmx client navigate (a 302 would be followed inside the swap)."""
    response.headers["HX-Redirect"] = location
    return response


def _append_flashes(response: Response) -> Response:
    """Deliver pending flash messages with an htmx fragment, as an out-of-band swap of #flashes."""
    if not is_htmx() or response.direct_passthrough or response.status_code in (204, 301, 302, 303):
        return response
    if not response.mimetype == "text/html" or "HX-Redirect" in response.headers:
        return response
    if not session.get("_flashes"):
        return response
    oob = render_template("_flashes_oob.html")
    response.set_data(response.get_data(as_text=True) + oob)
    return response


def init_htmx(app: Flask) -> None:
    app.after_request(_append_flashes)
