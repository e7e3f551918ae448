"""The application's "today": the real date, unless ``APP_TODAY`` fixes it.

The demo district is a snapshot of 20 March 2020 (the article's date); ``run.py`` sets
``APP_TODAY`` to that day so that deadlines, "overdue" and "due soon" read as they did then.
Every "today" of the services and views comes from here, never from ``date.today()``.
"""

from datetime import date

from flask import current_app, has_app_context


def today() -> date:
    fixed = current_app.config.get("TODAY") if has_app_context() else None
    return fixed or date.today()


def real_today() -> date:
    """The real date, whatever ``APP_TODAY`` says: what happened (a meeting held, a decision
    signed) cannot be dated after it, even in a snapshot of an earlier day."""
    return date.today()


def parse_today(value: str | None) -> date | None:
    """``APP_TODAY`` as a date (None when empty); a malformed value stops the app at start."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as error:
        raise RuntimeError(f"APP_TODAY must be a date like 2020-03-20, not {value!r}") from error
