"""The e-mail digest, sent to a real SMTP server (aiosmtpd on a free port), by the service and by a
real RQ worker against a real Redis server."""

import smtplib
import uuid
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.models import Notification
from app.services import digest, notifications
from app.tasks.notifications import email_digest
from app.tasks.queues import get_queue
from tests.conftest import free_port
from tests.tasks.test_maintenance import run_worker


class Sink:
    """An aiosmtpd handler that keeps every message and refuses the addresses in ``refuse``."""

    def __init__(self):
        self.messages = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=default_policy)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for rcpt, m in self.messages if address in rcpt]


@pytest.fixture
def smtp(app):
    """A local SMTP server, named in the app's configuration for the test."""
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": controller.port, "SMTP_SECURITY": "none"}
    before = {key: app.config.get(key) for key in settings}
    app.config.update(settings, APP_BASE_URL="https://giamngheo.bachthong.test")
    sink.port = controller.port
    yield sink
    app.config.update(before)
    controller.stop()


def _notify(user, kind="task_overdue", **params):
    params = {"title": "Cấp thẻ BHYT cho Nguyễn Văn Đức", "due": "2020-03-01"} | params
    notifications.notify([user.id], kind, params, link="/households/1#tasks")


def _body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_each_user_gets_one_digest_in_their_language_and_never_the_same_thing_twice(app, world, db, smtp):
    supervisor, staff = world.users.supervisor_a, world.users.staff_a
    supervisor.email = "supervisor.a@bachthong.test"
    staff.email, staff.locale = "staff.a@bachthong.test", "en"
    world.users.staff_b.email = "staff.b@bachthong.test"  # nothing unread: no e-mail
    _notify(supervisor)
    _notify(supervisor, "task_due_soon", due="2020-03-22")
    _notify(staff)
    db.session.commit()

    assert digest.send_digests() == 2

    (vi,) = smtp.to("supervisor.a@bachthong.test")
    assert vi["Subject"] == "GiamNgheo: 2 thông báo mới"
    text = _body(vi)
    assert "Quá hạn: Cấp thẻ BHYT cho Nguyễn Văn Đức, hạn 01/03/2020." in text
    assert "Sắp đến hạn trong 3 ngày: Cấp thẻ BHYT cho Nguyễn Văn Đức, hạn 22/03/2020." in text
    assert "https://giamngheo.bachthong.test/households/1#tasks" in text
    assert "https://giamngheo.bachthong.test/notifications" in text
    (en,) = smtp.to("staff.a@bachthong.test")
    assert en["Subject"] == "GiamNgheo: 1 new notification"
    assert "Overdue: Cấp thẻ BHYT cho Nguyễn Văn Đức was due 01/03/2020." in _body(en)
    assert smtp.to("staff.b@bachthong.test") == []
    assert db.session.scalar(select(Notification.id).where(Notification.emailed_at.is_(None))) is None

    assert digest.send_digests() == 0  # nothing new
    _notify(supervisor, "task_assigned", code="A-0001", due="2020-04-01")
    db.session.commit()
    assert digest.send_digests() == 1  # only the new one
    latest = smtp.to("supervisor.a@bachthong.test")[-1]
    assert latest["Subject"] == "GiamNgheo: 1 thông báo mới" and "Quá hạn" not in _body(latest)


def test_read_notifications_inactive_users_and_users_without_an_address_get_no_mail(app, world, db, smtp):
    world.users.supervisor_a.email = "supervisor.a@bachthong.test"
    world.users.staff_b.email = "staff.b@bachthong.test"
    world.users.staff_b.active = False
    for user in (world.users.supervisor_a, world.users.staff_b, world.users.staff_a):
        _notify(user)
    notifications.mark_read(world.users.supervisor_a)  # read in the app before the digest ran
    db.session.commit()

    assert digest.send_digests() == 0
    assert smtp.messages == []


def test_a_refused_recipient_is_skipped_and_kept_for_the_next_run(app, world, db, smtp):
    world.users.supervisor_a.email = "gone@bachthong.test"
    world.users.staff_a.email = "staff.a@bachthong.test"
    _notify(world.users.supervisor_a)
    _notify(world.users.staff_a)
    db.session.commit()
    smtp.refuse.add("gone@bachthong.test")

    assert digest.send_digests() == 1

    emailed = dict(db.session.execute(select(Notification.user_id, Notification.emailed_at)).all())
    assert emailed[world.users.staff_a.id] is not None
    assert emailed[world.users.supervisor_a.id] is None
    smtp.refuse.clear()
    assert digest.send_digests() == 1
    assert len(smtp.to("gone@bachthong.test")) == 1


def test_an_unreachable_server_fails_the_job_and_marks_nothing(app, world, db):
    world.users.staff_a.email = "staff.a@bachthong.test"
    _notify(world.users.staff_a)
    db.session.commit()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_SECURITY="none", SMTP_TIMEOUT=5)
    try:
        with pytest.raises((OSError, smtplib.SMTPException)):
            digest.send_digests()
    finally:
        app.config["SMTP_HOST"] = None
    assert db.session.scalar(select(Notification.emailed_at)) is None


def test_without_smtp_settings_nothing_is_sent_or_marked(app, world, db):
    assert app.config["SMTP_HOST"] is None
    world.users.staff_a.email = "staff.a@bachthong.test"
    _notify(world.users.staff_a)
    db.session.commit()

    assert digest.send_digests() == 0
    assert db.session.scalar(select(Notification.emailed_at)) is None


def test_the_digest_job_runs_in_a_real_worker(app, world, db, smtp):
    world.users.supervisor_a.email = "supervisor.a@bachthong.test"
    _notify(world.users.supervisor_a)
    db.session.commit()
    queue_name = f"test-{uuid.uuid4().hex[:8]}"
    job = get_queue(queue_name).enqueue(email_digest)

    result = run_worker(
        app, queue_name, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port), SMTP_SECURITY="none"
    )

    assert result.returncode == 0, result.stderr[-2000:]
    job.refresh()
    assert job.get_status() == "finished", result.stdout[-3000:]
    assert job.return_value() == 1
    (message,) = smtp.to("supervisor.a@bachthong.test")
    assert "Quá hạn: Cấp thẻ BHYT cho Nguyễn Văn Đức" in _body(message)
    db.session.expire_all()
    assert db.session.scalar(select(Notification.emailed_at)) is not None


def test_an_unknown_smtp_security_stops_the_app_at_start():
    from app import create_app
    from app.config import TestConfig

    bad = type("Config", (TestConfig,), {"SMTP_SECURITY": "tls"})
    with pytest.raises(RuntimeError, match="SMTP_SECURITY must be starttls, ssl or none"):
        create_app(bad)
