"""Password checks with throttling, and server-side sessions."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.models import AuditLog, LoginThrottle, UserSession
from app.services.audit import utcnow
from app.services.auth import (
    authenticate,
    close_session,
    open_session,
    purge_sessions,
    revoke_user_sessions,
    user_for_session,
)
from tests.factories import PASSWORD

T0 = datetime(2025, 3, 20, 8, 0, 0)
WRONG = "not the password"


def _fail(username: str, times: int, start: datetime = T0):
    return [
        authenticate(username, WRONG, ip="10.0.0.1", now=start + timedelta(seconds=i)) for i in range(times)
    ]


def _actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_the_right_password_logs_in_and_is_audited(world, db):
    outcome = authenticate("staff.a", PASSWORD, ip="10.0.0.1", now=T0)

    assert outcome.user.id == world.users.staff_a.id
    assert outcome.locked is False
    assert _actions(db) == ["login"]


def test_the_username_is_trimmed_and_case_insensitive(world):
    assert authenticate("  Staff.A ", PASSWORD, ip=None, now=T0).user.id == world.users.staff_a.id


@pytest.mark.parametrize("username,password", [("staff.a", WRONG), ("staff.a", ""), ("nobody", PASSWORD)])
def test_a_wrong_password_or_unknown_user_fails_alike(world, db, username, password):
    outcome = authenticate(username, password, ip="10.0.0.1", now=T0)

    assert (outcome.user, outcome.locked) == (None, False)
    assert _actions(db) == ["login_failed"]


def test_an_inactive_user_cannot_log_in(world, db):
    world.users.staff_b.active = False
    db.session.flush()

    assert authenticate("staff.b", PASSWORD, ip=None, now=T0).user is None


def test_a_success_resets_the_failure_counter(world, db):
    _fail("staff.a", 4)
    assert authenticate("staff.a", PASSWORD, ip=None, now=T0 + timedelta(minutes=1)).user is not None
    assert db.session.get(LoginThrottle, "staff.a").failures == 0

    # four more failures do not lock: the count started again
    outcomes = _fail("staff.a", 4, T0 + timedelta(minutes=2))
    assert not any(o.locked for o in outcomes)
    assert authenticate("staff.a", PASSWORD, ip=None, now=T0 + timedelta(minutes=3)).user is not None


@pytest.mark.parametrize("username", ["staff.a", "nobody.here"])
def test_five_failures_lock_the_username_for_fifteen_minutes(world, db, username):
    outcomes = _fail(username, 5)

    assert [o.locked for o in outcomes] == [False, False, False, False, True]
    locked_at = T0 + timedelta(seconds=4)
    for later in (timedelta(0), timedelta(minutes=1), timedelta(minutes=14, seconds=59)):
        outcome = authenticate(username, PASSWORD, ip=None, now=locked_at + later)
        assert (outcome.user, outcome.locked) == (None, True)
    assert "login_locked" in _actions(db)


def test_after_the_lock_expires_the_right_password_works(world):
    _fail("staff.a", 5)
    locked_at = T0 + timedelta(seconds=4)

    outcome = authenticate("staff.a", PASSWORD, ip=None, now=locked_at + timedelta(minutes=15, seconds=1))

    assert outcome.user.id == world.users.staff_a.id


def test_locking_one_username_leaves_the_others_alone(world):
    _fail("staff.a", 5)

    assert authenticate("staff.b", PASSWORD, ip=None, now=T0 + timedelta(seconds=10)).user is not None


def test_an_unknown_username_is_throttled_like_a_known_one(world, db):
    known = _fail("staff.a", 5)
    unknown = _fail("ghost", 5)

    assert [o.locked for o in known] == [o.locked for o in unknown]
    rows = {r.username: r for r in db.session.scalars(select(LoginThrottle))}
    assert rows["staff.a"].locked_until == rows["ghost"].locked_until


def test_failures_while_locked_do_not_extend_the_lock(world):
    _fail("staff.a", 5)
    _fail("staff.a", 20, T0 + timedelta(minutes=10))

    outcome = authenticate("staff.a", PASSWORD, ip=None, now=T0 + timedelta(minutes=15, seconds=5))

    assert outcome.user is not None


def test_a_session_names_its_user_until_it_is_closed(world, db):
    user = world.users.staff_a
    row = open_session(user, ip="10.0.0.1")
    db.session.flush()

    assert row.token and len(row.token) >= 32
    assert row.expires_at > utcnow()
    assert user_for_session(row.token).id == user.id

    close_session(row.token, ip="10.0.0.1")
    db.session.flush()

    assert user_for_session(row.token) is None
    assert _actions(db) == ["logout"]


def test_two_sessions_have_different_tokens(world, db):
    a = open_session(world.users.staff_a, ip=None)
    b = open_session(world.users.staff_a, ip=None)

    assert a.token != b.token
    close_session(a.token, ip=None)
    assert user_for_session(b.token).id == world.users.staff_a.id


@pytest.mark.parametrize("token", [None, "", "no-such-token"])
def test_no_or_unknown_token_names_no_user(world, token):
    assert user_for_session(token) is None
    close_session(token, ip=None)


def test_an_expired_session_names_no_user(world, db):
    row = open_session(world.users.staff_a, ip=None)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()

    assert user_for_session(row.token) is None


def test_a_session_of_an_inactive_user_names_no_user(world, db):
    row = open_session(world.users.staff_a, ip=None)
    world.users.staff_a.active = False
    db.session.flush()

    assert user_for_session(row.token) is None


def test_closing_twice_revokes_once(world, db):
    row = open_session(world.users.staff_a, ip=None)
    close_session(row.token, ip=None)
    first = row.revoked_at
    close_session(row.token, ip=None)

    assert row.revoked_at == first
    assert _actions(db) == ["logout"]


def test_revoke_user_sessions_ends_every_live_session_of_that_user_only(world, db):
    staff_a, staff_b = world.users.staff_a, world.users.staff_b
    sessions = [open_session(staff_a, ip=None) for _ in range(3)]
    close_session(sessions[0].token, ip=None)
    other = open_session(staff_b, ip=None)

    assert revoke_user_sessions(staff_a) == 2
    assert [user_for_session(s.token) for s in sessions] == [None, None, None]
    assert user_for_session(other.token).id == staff_b.id
    assert revoke_user_sessions(staff_a) == 0


def test_purge_deletes_sessions_expired_or_revoked_over_a_day_ago(world, db):
    now = utcnow()
    user = world.users.staff_a

    def session(expires: timedelta, revoked: timedelta | None = None) -> int:
        row = UserSession(
            user_id=user.id,
            created_at=now - timedelta(days=3),
            expires_at=now + expires,
            revoked_at=now + revoked if revoked is not None else None,
        )
        db.session.add(row)
        db.session.flush()
        return row.id

    keep = {
        session(timedelta(hours=8)),
        session(timedelta(hours=-1)),
        session(timedelta(hours=-23)),
        session(timedelta(hours=8), revoked=timedelta(hours=-1)),
        session(timedelta(hours=8), revoked=timedelta(hours=-23)),
    }
    gone = {
        session(timedelta(hours=-25)),
        session(timedelta(days=-10)),
        session(timedelta(hours=8), revoked=timedelta(hours=-25)),
    }
    db.session.flush()

    assert purge_sessions(now) == len(gone)
    db.session.flush()

    assert set(db.session.scalars(select(UserSession.id))) == keep
    assert purge_sessions(now) == 0
    assert db.session.scalar(select(func.count(UserSession.id))) == len(keep)
