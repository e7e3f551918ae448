"""The one place that decides between a whole page and a fragment."""

from flask import Response, request


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
