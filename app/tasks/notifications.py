"""Daily notification job: deadline reminders (registered in app.tasks.schedule)."""

from app.extensions import db
from app.services import notifications


def deadline_reminders() -> int:
    """Tell officers of their tasks due within 3 days and of those past due, once each."""
    added = notifications.deadline_reminders()
    db.session.commit()
    return added
