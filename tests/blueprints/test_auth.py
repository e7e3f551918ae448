"""Login, throttling, session renewal at login, logout that kills the cookie, safe `next`, audit."""

from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from app.models import AuditLog, LoginThrottle, User, UserSession
from app.services.audit import utcnow
from tests.blueprints.helpers import SESSION_COOKIE, location_path, parse
from tests.factories import PASSWORD, make_user


def _login(client, username: str, password: str, next_: str | None = None):
    client.csrf or client.refresh_csrf()
    url = "/auth/login" + (f"?next={next_}" if next_ is not None else "")
    return client.post(url, data={"username": username, "password": password, "csrf_token": client.csrf})


def _form_error(response) -> str:
    alerts = parse(response).alerts()
    assert len(alerts) == 1, alerts
    return alerts[0]


def _is_logged_in(client) -> bool:
    return client.get("/").status_code == 200


def _cookie(client) -> str | None:
    cookie = client.get_cookie(SESSION_COOKIE)
    return cookie.value if cookie else None


def test_login_form_has_username_and_password_fields(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    doc = parse(response)
    forms = [f for f in doc.find_all("form") if f.find_all("input", name="password")]
    assert len(forms) == 1
    form = forms[0]
    assert form.attrs.get("method") == "post"
    names = {i.attrs.get("name"): i.attrs.get("type") for i in form.find_all("input")}
    assert names["username"] == "text"
    assert names["password"] == "password"
    assert "csrf_token" in names


def test_login_succeeds_with_a_redirect(world, client):
    response = _login(client, "staff.a", PASSWORD)
    assert response.status_code == 302
    assert location_path(response) == "/"
    assert _is_logged_in(client)


def test_username_is_matched_case_insensitively(world, client):
    assert _login(client, "  Staff.A ", PASSWORD).status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_answer(world, new_client):
    wrong = _login(new_client(), "staff.a", "not the password")
    unknown = _login(new_client(), "nobody.here", "not the password")
    assert wrong.status_code == unknown.status_code
    assert wrong.status_code in (200, 401, 422)
    assert _form_error(wrong) == _form_error(unknown)
    assert "staff.a" not in _form_error(wrong)


def test_deactivated_user_cannot_log_in(world, db, client, new_client):
    make_user("staff", world.commune_a, "gone.a", active=False)
    db.session.commit()
    refused = _login(client, "gone.a", PASSWORD)
    assert refused.status_code != 302
    assert not _is_logged_in(client)
    assert _form_error(refused) == _form_error(_login(new_client(), "nobody.here", "x"))


def test_five_failures_lock_the_account_for_fifteen_minutes(world, db, client, new_client):
    answers = [_login(client, "staff.a", f"wrong {i}") for i in range(5)]
    assert all(a.status_code != 302 for a in answers)
    locked = _login(client, "staff.a", PASSWORD)
    assert locked.status_code != 302
    assert not _is_logged_in(client)
    lock_message = _form_error(locked)
    assert lock_message != _form_error(answers[0]), "a locked account says so"
    # Case or spaces do not open another door.
    assert _login(new_client(), "STAFF.A ", PASSWORD).status_code != 302

    db.session.expire_all()
    throttle = db.session.get(LoginThrottle, "staff.a")
    remaining = throttle.locked_until - utcnow()
    assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)

    throttle.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _login(new_client(), "staff.a", PASSWORD).status_code == 302


def test_four_failures_do_not_lock(world, client, new_client):
    for i in range(4):
        _login(client, "staff.a", f"wrong {i}")
    assert _login(new_client(), "staff.a", PASSWORD).status_code == 302


def test_unknown_names_are_locked_with_the_same_message(world, new_client):
    known, unknown = new_client(), new_client()
    for i in range(5):
        _login(known, "staff.a", f"wrong {i}")
        _login(unknown, "nobody.here", f"wrong {i}")
    known_answer = _login(known, "staff.a", PASSWORD)
    unknown_answer = _login(unknown, "nobody.here", PASSWORD)
    assert known_answer.status_code == unknown_answer.status_code
    assert _form_error(known_answer) == _form_error(unknown_answer)


def test_the_session_is_renewed_at_login(world, client):
    client.refresh_csrf()
    cookie_before = _cookie(client)
    with client.session_transaction() as session:
        before = dict(session)
    assert cookie_before and "sid" not in before and "csrf_token" in before

    response = _login(client, "staff.a", PASSWORD)
    assert response.status_code == 302
    set_cookie = [v for v in response.headers.getlist("Set-Cookie") if v.startswith(SESSION_COOKIE + "=")]
    assert set_cookie, "login must send a new session cookie"
    assert "HttpOnly" in set_cookie[0]
    assert "SameSite=Lax" in set_cookie[0]
    assert _cookie(client) != cookie_before
    with client.session_transaction() as session:
        after = dict(session)
    assert after.get("sid")
    assert after.get("csrf_token") != before["csrf_token"], "nothing of the anonymous session survives"


def test_an_anonymous_cookie_planted_before_login_stays_anonymous(world, client, new_client):
    client.refresh_csrf()
    planted = _cookie(client)
    assert _login(client, "staff.a", PASSWORD).status_code == 302
    attacker = new_client()
    attacker.set_cookie(SESSION_COOKIE, planted)
    assert not _is_logged_in(attacker)


def test_each_login_gets_its_own_server_side_session(world, db, login_as):
    first, second = login_as(world.users.staff_a), login_as(world.users.staff_a)
    with first.session_transaction() as s1, second.session_transaction() as s2:
        assert s1["sid"] != s2["sid"]
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == world.users.staff_a.id)).all()
    assert len(rows) == 2


def test_logout_kills_the_cookie_for_good(world, db, login_as, new_client):
    client = login_as(world.users.staff_a)
    old_cookie = _cookie(client)
    copy = new_client()
    copy.set_cookie(SESSION_COOKIE, old_cookie)
    assert _is_logged_in(copy), "the copied cookie works before logout (the test is honest)"

    response = client.post_form("/auth/logout")
    assert response.status_code in (302, 303)
    assert location_path(response) == "/auth/login"
    assert not _is_logged_in(client)

    replay = new_client()
    replay.set_cookie(SESSION_COOKIE, old_cookie)
    answer = replay.get("/households")
    assert answer.status_code == 302
    assert location_path(answer) == "/auth/login"
    assert replay.get("/api/v1/households").status_code == 401
    db.session.expire_all()
    row = db.session.scalars(select(UserSession).where(UserSession.user_id == world.users.staff_a.id)).one()
    assert row.revoked_at is not None


@pytest.mark.parametrize("target", ["/households", "/households?q=duc&status=poor"])
def test_next_allows_same_site_paths(world, client, target):
    response = _login(client, "staff.a", PASSWORD, next_=target.replace("?", "%3F").replace("&", "%26"))
    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "//evil.com/households",
        "https://evil.com/",
        "http:evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "javascript:alert(1)",
        "%2F%2Fevil.com",
        "/%09/evil.com",
        "evil.com",
    ],
)
def test_next_refuses_other_sites(world, client, target):
    response = _login(client, "staff.a", PASSWORD, next_=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    # As a browser reads it: backslashes are slashes, tabs and newlines vanish.
    seen_by_browser = location.replace("\\", "/").replace("\t", "").replace("\n", "").replace("\r", "")
    resolved = urlsplit(urljoin("http://localhost/auth/login", seen_by_browser))
    assert resolved.netloc == "localhost", f"next={target!r} redirected to {location!r}"
    assert resolved.scheme == "http"


def test_login_logout_and_failures_are_audited(world, db, client):
    _login(client, "staff.a", "wrong")
    _login(client, "nobody.here", "wrong")
    _login(client, "staff.a", PASSWORD)
    client.refresh_csrf("/")
    client.post_form("/auth/logout")

    rows = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    staff_a = world.users.staff_a.id
    failed = [r for r in rows if r.action == "login_failed"]
    assert [r.actor_name for r in failed] == ["staff.a", "nobody.here"]
    assert all(r.ip == "127.0.0.1" for r in failed)
    logins = [r for r in rows if r.action == "login"]
    assert len(logins) == 1 and logins[0].actor_id == staff_a and logins[0].ip == "127.0.0.1"
    logouts = [r for r in rows if r.action == "logout"]
    assert len(logouts) == 1 and logouts[0].actor_id == staff_a
    assert not any("wrong" in str(r.changes) for r in rows), "passwords are never audited"


def test_already_logged_in_user_is_sent_home(world, login_as):
    client = login_as(world.users.staff_a)
    response = client.get("/auth/login")
    assert response.status_code == 302
    assert location_path(response) == "/"


def test_passwords_are_stored_hashed_with_a_slow_hash(world, db, production_hashing):
    user = make_user("staff", world.commune_a, "hash.check")
    db.session.commit()
    stored = db.session.scalars(select(User.password_hash).where(User.id == user.id)).one()
    assert PASSWORD not in stored
    assert stored.split(":")[0] in ("scrypt", "pbkdf2")
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")
