"""Daily notification jobs: deadline reminders and the e-mail digest (registered in app.tasks.schedule)."""

from app.extensions import db
from app.services import digest, notifications


def deadline_reminders() -> int:
    """Tell officers of their tasks due within 3 days and of those past due, once each."""
    added = notifications.deadline_reminders()
    db.session.commit()
    return added


def email_digest() -> int:
    """E-mail each user their unread notifications not yet e-mailed (only when SMTP_HOST is set)."""
    return digest.send_digests()
