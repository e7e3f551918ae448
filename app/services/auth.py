"""Authentication: password check with throttling, and server-side sessions."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import LoginThrottle, User, UserSession
from app.services import audit


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    locked: bool = False


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def _throttle(username: str) -> LoginThrottle:
    """The username's throttle row, created on its first login (two first logins at once: the
    second finds the row the first one added)."""
    row = db.session.get(LoginThrottle, username)
    if row is None:
        insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
        db.session.execute(
            insert(LoginThrottle)
            .values(username=username, failures=0)
            .on_conflict_do_nothing(index_elements=["username"])
        )
        row = db.session.get(LoginThrottle, username)
    return row


def authenticate(
    username: str, password: str, *, ip: str | None, now: datetime | None = None
) -> LoginOutcome:
    """Check a login; count failures per username, known or not.

    After ``LOGIN_MAX_FAILURES`` failures the username is locked for
    ``LOGIN_LOCK_MINUTES``; while locked even the right password fails. The
    caller shows one message for every failure, so a caller cannot tell an
    unknown user from a wrong password. Adds audit rows; the caller commits.
    """
    now = now or audit.utcnow()
    username = username.strip().lower()
    throttle = _throttle(username)
    if throttle.locked_until and throttle.locked_until > now:
        audit.record("login_locked", actor_name=username, ip=ip)
        return LoginOutcome(None, locked=True)

    user = db.session.scalars(select(User).where(User.username == username)).first()
    # Hash even for an unknown name, so the answer takes as long as for a wrong password.
    password_ok = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    if user is not None and user.active and password_ok:
        throttle.failures = 0
        throttle.locked_until = None
        audit.record("login", actor=user, ip=ip, obj=user)
        return LoginOutcome(user)

    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures >= current_app.config["LOGIN_MAX_FAILURES"]:
        throttle.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        throttle.failures = 0
    audit.record("login_failed", actor_name=username, ip=ip)
    return LoginOutcome(None, locked=throttle.locked_until is not None and throttle.locked_until > now)


def open_session(user: User, *, ip: str | None) -> UserSession:
    now = audit.utcnow()
    row = UserSession(
        user_id=user.id,
        created_at=now,
        expires_at=now + current_app.config["PERMANENT_SESSION_LIFETIME"],
        ip=ip,
    )
    db.session.add(row)
    db.session.flush()
    return row


def user_for_session(token: str | None) -> User | None:
    """The active user of a live, unrevoked, unexpired session token."""
    if not token:
        return None
    return db.session.scalars(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token == token,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > audit.utcnow(),
            User.active,
        )
    ).first()


def close_session(token: str | None, *, ip: str | None) -> None:
    """Revoke the session so its cookie can never be replayed."""
    if not token:
        return
    row = db.session.scalars(select(UserSession).where(UserSession.token == token)).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = audit.utcnow()
        audit.record("logout", actor=row.user, ip=ip, obj=row.user)


def revoke_user_sessions(user: User) -> int:
    """Revoke every live session of a user (deactivation, password reset)."""
    now = audit.utcnow()
    rows = db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
    return len(rows)


def purge_sessions(now: datetime | None = None) -> int:
    """Delete sessions expired or revoked more than a day ago; return how many."""
    cutoff = (now or audit.utcnow()) - timedelta(days=1)
    rows = db.session.scalars(
        select(UserSession).where((UserSession.expires_at < cutoff) | (UserSession.revoked_at < cutoff))
    ).all()
    for row in rows:
        db.session.delete(row)
    return len(rows)
