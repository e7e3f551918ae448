"""Template filters and globals: numbers, dates and money in the user's locale."""

from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from flask import Flask, g, request, url_for
from flask_babel import format_datetime, format_decimal, get_locale

from app import labels
from app.services import audit_log, charts
from app.services.audit import mask_citizen_id
from app.services.scope import unit_index


def number(value) -> str:
    return "" if value is None else format_decimal(value)


def percent(value) -> str:
    """17.33 → "17,33 %" (vi) / "17.33 %" (en): two decimals, always."""
    if value is None:
        return ""
    return f"{format_decimal(Decimal(value), format='#,##0.00')} %"


def points(value) -> str:
    """A change in percentage points with its sign: -2.44 → "−2,44" (vi)."""
    if value is None:
        return ""
    return format_decimal(Decimal(value), format="+#,##0.00;-#,##0.00").replace("-", "−")


def money(value) -> str:
    """1500000 → "1.500.000 ₫"."""
    return "" if value is None else f"{format_decimal(value, format='#,##0')} ₫"


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "dd/MM/yyyy HH:mm")  # in the user's time zone
    return value.strftime("%d/%m/%Y")  # the same in every locale: no Babel call per cell


def url_with(_endpoint: str | None = None, **changes) -> str:
    """The current URL with some query arguments changed (None removes one); with ``_endpoint``,
    that endpoint's URL with the current query so changed (an action on what the list shows)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    path = url_for(_endpoint) if _endpoint else request.path
    return path + ("?" + urlencode(args) if args else "")


def unit_of(unit_id: int | None):
    """A unit by id from the request's unit index (no query per row)."""
    return unit_index().units.get(unit_id) if unit_id is not None else None


class LabelsProxy:
    """The template global ``labels`` (macros see globals, not the render context)."""

    def __getattr__(self, name: str) -> dict[str, str]:
        tables = g.get("labels")  # one locale lookup per request, not one per cell
        if tables is None:
            tables = g.labels = labels.translated()
        return getattr(tables, name)


def init_templating(app: Flask) -> None:
    app.jinja_env.filters.update(
        number=number,
        percent=percent,
        points=points,
        money=money,
        day=day,
        masked=mask_citizen_id,
        period=labels.period_label,
    )
    app.jinja_env.globals.update(
        url_with=url_with,
        unit_of=unit_of,
        labels=LabelsProxy(),
        status_text=labels.status_text,
        notification_text=labels.notification_text,
        audit_value_names=audit_log.value_names,
        current_locale=lambda: str(get_locale()),
        progress_bar=charts.progress_bar,
        bar_chart=charts.bar_chart,
        line_chart=charts.line_chart,
    )

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
