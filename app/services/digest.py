"""The e-mail digest: once a day, each user's unread notifications that no e-mail has carried yet.

Sent only when ``SMTP_HOST`` is configured, to active users with an e-mail address, in the
user's language. A notification is e-mailed at most once (``Notification.emailed_at``, set in
the same commit as the user's message is handed to the server) and one read in the app first is
never e-mailed. Addresses stay out of the logs; users are named by id.
"""

import logging
import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.extensions import db
from app.labels import notification_text
from app.models import Notification, User
from app.services import audit

log = logging.getLogger(__name__)
MAX_ITEMS = 50  # a longer digest lists the first 50 and points to the in-app centre


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    username: str | None
    password: str | None
    sender: str
    timeout: float

    @classmethod
    def from_config(cls, config: Mapping) -> "SmtpSettings | None":
        """The configured server, or None when ``SMTP_HOST`` is empty (no e-mail is sent)."""
        if not config.get("SMTP_HOST"):
            return None
        return cls(
            host=config["SMTP_HOST"],
            port=config["SMTP_PORT"],
            security=config["SMTP_SECURITY"],
            username=config.get("SMTP_USERNAME"),
            password=config.get("SMTP_PASSWORD"),
            sender=config["SMTP_FROM"],
            timeout=config["SMTP_TIMEOUT"],
        )


@contextmanager
def connect(settings: SmtpSettings) -> Iterator[smtplib.SMTP]:
    """An open, authenticated SMTP session; closed (QUIT) on leaving."""
    if settings.security == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        yield smtp


def pending() -> list[tuple[User, list[Notification]]]:
    """Active users with an address, each with their unread notifications not e-mailed yet."""
    rows = db.session.execute(
        select(User, Notification)
        .join(Notification, Notification.user_id == User.id)
        .where(
            User.active,
            User.email.is_not(None),
            User.email != "",
            Notification.read_at.is_(None),
            Notification.emailed_at.is_(None),
        )
        .order_by(User.id, Notification.created_at, Notification.id)
    ).all()
    batches: dict[int, tuple[User, list[Notification]]] = {}
    for user, notification in rows:
        batches.setdefault(user.id, (user, []))[1].append(notification)
    return list(batches.values())


def compose(user: User, items: list[Notification], settings: SmtpSettings, base_url: str) -> EmailMessage:
    """The digest for one user, as plain text in their language, with a link to each event."""
    base = base_url.rstrip("/")
    with force_locale(user.locale or "vi"):
        n = len(items)
        subject = ngettext("GiamNgheo: %(num)d new notification", "GiamNgheo: %(num)d new notifications", n)
        lines = [_("Hello %(name)s,", name=user.full_name), ""]
        lines.append(
            ngettext("You have %(num)d unread notification:", "You have %(num)d unread notifications:", n)
        )
        lines.append("")
        for item in items[:MAX_ITEMS]:
            lines.append(f"• {notification_text(item)}")
            if item.link:
                lines.append(f"  {base}{item.link}")
        if n > MAX_ITEMS:
            lines.append(_("… and %(num)d more.", num=n - MAX_ITEMS))
        centre = base + "/notifications"
        lines += ["", _("All your notifications: %(url)s", url=centre), "", "—"]
        lines.append(
            _(
                "GiamNgheo sends this digest once a day while you have unread notifications. "
                "To change the address, ask your administrator."
            )
        )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = user.email
    message["Message-ID"] = make_msgid(domain="giamngheo")
    message.set_content("\n".join(lines), charset="utf-8")
    return message


def send_digests() -> int:
    """E-mail every pending digest; returns how many messages were sent.

    Each user's notifications are marked e-mailed, and committed, once the server has taken
    their message, so a failure part-way leaves the rest for the next run and repeats nothing.
    A recipient the server refuses is logged and skipped; a server that cannot be reached
    raises, so the job fails and RQ retries it.
    """
    settings = SmtpSettings.from_config(current_app.config)
    if settings is None:
        return 0
    batches = pending()
    if not batches:
        return 0
    base_url = current_app.config["APP_BASE_URL"]
    sent = 0
    with connect(settings) as smtp:
        for user, items in batches:
            try:
                smtp.send_message(compose(user, items, settings, base_url))
            except smtplib.SMTPRecipientsRefused:
                log.warning("digest refused by the server for user %s", user.id)
                continue
            ids = [item.id for item in items]
            db.session.execute(
                update(Notification).where(Notification.id.in_(ids)).values(emailed_at=audit.utcnow())
            )
            db.session.commit()
            sent += 1
            log.info("digest sent to user %s: %d notification(s)", user.id, len(ids))
    return sent
